package sqlitequeue

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/queue"
)

// Send enqueues msgs on topic in one transaction, after checking all of them.
func (q *Queue) Send(ctx context.Context, topic string, msgs ...queue.Message) error {
	if err := queue.ValidTopic(topic); err != nil {
		return fmt.Errorf("sqlitequeue: send: %w", err)
	}
	for i, m := range msgs {
		if err := queue.ValidMessage(m); err != nil {
			return fmt.Errorf("sqlitequeue: send to %s: message %d (%q): %w", topic, i, m.ID, err)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	err := q.write(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx,
			`INSERT INTO messages (topic, msg_id, body, visible_at, attempts) VALUES (?, ?, ?, ?, 0)`)
		if err != nil {
			return fmt.Errorf("prepare insert: %w", err)
		}
		defer stmt.Close()
		now := time.Now()
		for _, m := range msgs {
			body := m.Body
			if body == nil {
				body = []byte{}
			}
			if _, err := stmt.ExecContext(ctx, topic, m.ID, body, now.Add(m.Delay).UnixNano()); err != nil {
				return fmt.Errorf("insert %q: %w", m.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlitequeue: send to %s: %w", topic, err)
	}
	q.notify(topic)
	return nil
}

// Receive claims up to o.Max visible messages of topic, waiting up to o.Wait for the first one.
func (q *Queue) Receive(ctx context.Context, topic string, o queue.ReceiveOptions) ([]queue.Delivery, error) {
	if err := queue.ValidTopic(topic); err != nil {
		return nil, fmt.Errorf("sqlitequeue: receive: %w", err)
	}
	o, err := o.Normalize()
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: receive from %s: %w", topic, err)
	}
	deadline := time.Now().Add(o.Wait)
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("sqlitequeue: receive from %s: %w", topic, err)
		}
		woken := q.waiter(topic)
		// Look before taking the write lock, so idle receivers of many processes do not contend for it.
		first, err := q.earliest(ctx, topic)
		now := time.Now()
		if err == nil && first != 0 && first <= now.UnixNano() {
			var ds []queue.Delivery
			if ds, err = q.claim(ctx, topic, o); err == nil && len(ds) > 0 {
				return ds, nil
			}
			// Nothing claimed: taken by another process, or dead-lettered. Look again at once (first <= now).
		}
		if err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return nil, fmt.Errorf("sqlitequeue: receive from %s: %w", topic, err)
		}
		if !now.Before(deadline) {
			return nil, nil
		}
		sleep := min(deadline.Sub(now), q.poll)
		if first != 0 {
			sleep = max(min(sleep, time.Duration(first-now.UnixNano())), 0)
		}
		t := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
		case <-q.closed:
			t.Stop()
			return nil, fmt.Errorf("sqlitequeue: receive from %s: %w", topic, ErrClosed)
		case <-woken:
		case <-t.C:
		}
		t.Stop()
	}
}

// earliest returns when the first message of topic is (or was) visible, in unix ns; 0 if topic is empty.
func (q *Queue) earliest(ctx context.Context, topic string) (int64, error) {
	var first sql.NullInt64
	err := q.db.QueryRowContext(ctx, `SELECT min(visible_at) FROM messages WHERE topic = ?`, topic).Scan(&first)
	if err != nil {
		return 0, fmt.Errorf("earliest visible: %w", err)
	}
	return first.Int64, nil
}

type row struct {
	id       int64
	msgID    string
	body     []byte
	attempts int
}

// claim delivers up to o.Max visible messages of topic, moving those out of attempts to the dead-letter
// topic, in one IMMEDIATE transaction.
func (q *Queue) claim(ctx context.Context, topic string, o queue.ReceiveOptions) ([]queue.Delivery, error) {
	var ds []queue.Delivery
	var dead []row
	dlq := queue.DeadLetter(topic)
	err := q.write(ctx, func(tx *sql.Tx) error {
		ds, dead = nil, nil
		now := time.Now().UnixNano()
		for len(ds) < o.Max {
			rows, err := visible(ctx, tx, topic, now, o.Max-len(ds))
			if err != nil || len(rows) == 0 {
				return err
			}
			for _, r := range rows {
				if r.attempts >= q.maxAttempts {
					if _, err := tx.ExecContext(ctx,
						`UPDATE messages SET topic = ?, attempts = 0, handle = NULL, visible_at = ? WHERE id = ?`,
						dlq, now, r.id); err != nil {
						return fmt.Errorf("dead-letter %q: %w", r.msgID, err)
					}
					dead = append(dead, r)
					continue
				}
				handle := newHandle(r.id)
				if _, err := tx.ExecContext(ctx,
					`UPDATE messages SET visible_at = ?, attempts = attempts + 1, handle = ? WHERE id = ?`,
					now+o.Visibility.Nanoseconds(), handle, r.id); err != nil {
					return fmt.Errorf("claim %q: %w", r.msgID, err)
				}
				ds = append(ds, queue.Delivery{
					Topic: topic, ID: r.msgID, Body: r.body, Attempt: r.attempts + 1, Handle: handle,
				})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, r := range dead {
		q.log.Warn("message moved to the dead-letter topic", "topic", topic, "dead_letter", dlq, "id", r.msgID,
			"attempts", r.attempts)
	}
	if len(dead) > 0 {
		q.notify(dlq)
	}
	return ds, nil
}

// visible reads up to n visible rows of topic, oldest visibility first.
func visible(ctx context.Context, tx *sql.Tx, topic string, now int64, n int) ([]row, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT id, msg_id, body, attempts FROM messages
		WHERE topic = ? AND visible_at <= ? ORDER BY visible_at, id LIMIT ?`, topic, now, n)
	if err != nil {
		return nil, fmt.Errorf("select visible: %w", err)
	}
	defer rows.Close()
	var out []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.msgID, &r.body, &r.attempts); err != nil {
			return nil, fmt.Errorf("scan visible: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select visible: %w", err)
	}
	return out, nil
}

// Ack deletes the delivered message if it still carries d's handle.
func (q *Queue) Ack(ctx context.Context, d queue.Delivery) error {
	if err := q.update(ctx, d, `DELETE FROM messages WHERE id = ? AND handle = ? AND topic = ?`); err != nil {
		return fmt.Errorf("sqlitequeue: ack %s on %s: %w", d.ID, d.Topic, err)
	}
	return nil
}

// SetVisibility hides the delivered message for visibility from now if it still carries d's handle.
func (q *Queue) SetVisibility(ctx context.Context, d queue.Delivery, visibility time.Duration) error {
	if visibility < 0 || visibility > queue.MaxVisibility {
		return fmt.Errorf("sqlitequeue: set visibility of %s on %s to %s: outside [0, %s]: %w",
			d.ID, d.Topic, visibility, queue.MaxVisibility, queue.ErrInvalid)
	}
	at := time.Now().Add(visibility).UnixNano()
	if err := q.update(ctx, d, `UPDATE messages SET visible_at = ? WHERE id = ? AND handle = ? AND topic = ?`, at); err != nil {
		return fmt.Errorf("sqlitequeue: set visibility of %s on %s: %w", d.ID, d.Topic, err)
	}
	q.notify(d.Topic)
	return nil
}

// update runs query, whose last parameters are the row id, handle and topic of d, and fails with
// queue.ErrStaleHandle if it matched no row.
func (q *Queue) update(ctx context.Context, d queue.Delivery, query string, args ...any) error {
	id, err := parseHandle(d.Handle)
	if err != nil {
		return err
	}
	q.wmu.Lock() // a single statement is its own transaction
	res, err := q.db.ExecContext(ctx, query, append(args, id, d.Handle, d.Topic)...)
	q.wmu.Unlock()
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return queue.ErrStaleHandle
	}
	return nil
}

// newHandle returns a handle for a delivery of row id: the id, a dot and 96 random bits.
func newHandle(id int64) string {
	b := make([]byte, 12)
	rand.Read(b) // never fails
	return strconv.FormatInt(id, 10) + "." + hex.EncodeToString(b)
}

func parseHandle(h string) (int64, error) {
	idText, _, ok := strings.Cut(h, ".")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil {
		return 0, fmt.Errorf("malformed handle %q: %w", h, queue.ErrInvalid)
	}
	return id, nil
}
