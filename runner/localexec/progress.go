package localexec

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/caravan-ci/caravan/shared/taskapi"
)

// progress prints what the jobs do, line by line, each line prefixed with its job (and node).
type progress struct {
	mu      sync.Mutex
	out     io.Writer
	labels  map[string]string    // task id → label
	partial map[string][]byte    // task id/step → unterminated line
	started map[string]time.Time // task id/step → start
}

func newProgress(out io.Writer) *progress {
	return &progress{out: out, labels: map[string]string{}, partial: map[string][]byte{},
		started: map[string]time.Time{}}
}

func (p *progress) register(id, label string) {
	p.mu.Lock()
	p.labels[id] = label
	p.mu.Unlock()
}

func (p *progress) step(id string, ev taskapi.StepEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := fmt.Sprintf("%s/%d", id, ev.Index)
	label := p.labels[id]
	name := firstLine(ev.Name)
	if ev.Phase == taskapi.PhaseStart {
		p.started[key] = ev.Time
		bg := ""
		if ev.Background {
			bg = " (background)"
		}
		fmt.Fprintf(p.out, "[%s] ▶ %s%s\n", label, name, bg)
		return
	}
	if rest := p.partial[key]; len(rest) > 0 {
		fmt.Fprintf(p.out, "[%s]   %s\n", label, rest)
		delete(p.partial, key)
	}
	d := ev.Time.Sub(p.started[key]).Round(time.Millisecond)
	mark := "✔"
	if ev.Status != taskapi.StatusSuccess {
		mark = "✘"
	}
	msg := ""
	if ev.Status != taskapi.StatusSuccess && ev.Message != "" {
		msg = ": " + ev.Message
	}
	fmt.Fprintf(p.out, "[%s] %s %s (%s, %s)%s\n", label, mark, name, ev.Status, d, msg)
}

func (p *progress) output(id string, step int, data []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := fmt.Sprintf("%s/%d", id, step)
	buf := append(p.partial[key], data...)
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		fmt.Fprintf(p.out, "[%s]   %s\n", p.labels[id], bytes.TrimRight(buf[:i], "\r"))
		buf = buf[i+1:]
	}
	p.partial[key] = append([]byte(nil), buf...)
}

func (p *progress) jobSkipped(name, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "[%s] ○ skipped: %s\n", name, why)
}

func (p *progress) jobDone(name, status string, d time.Duration, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if msg != "" {
		msg = ": " + msg
	}
	fmt.Fprintf(p.out, "[%s] job %s in %s%s\n", name, status, d.Round(time.Millisecond), msg)
}

func firstLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
