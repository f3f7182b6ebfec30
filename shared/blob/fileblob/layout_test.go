package fileblob

import (
	"strings"
	"testing"
)

func TestSegmentEncoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		seg, file, dir string
	}{
		{"out.txt", "out.txt", "out.txt.d"},
		{"conf.d", "conf.d.d", "conf.d.d.d"},
		{"x.d.d", "x.d.d.d.d", "x.d.d.d.d.d"},
		{".d", ".d.d", ".d.d.d"},
		{"d", "d", "d.d"},
		{"a.dd", "a.dd", "a.dd.d"},
	}
	for _, tt := range tests {
		if got := encodeSegment(tt.seg, false); got != tt.file {
			t.Errorf("encodeSegment(%q, file) = %q, want %q", tt.seg, got, tt.file)
		}
		if got := encodeSegment(tt.seg, true); got != tt.dir {
			t.Errorf("encodeSegment(%q, dir) = %q, want %q", tt.seg, got, tt.dir)
		}
		for _, name := range []string{tt.file, tt.dir} {
			seg, dir, ok := decodeName(name)
			if !ok || seg != tt.seg || dir != (name == tt.dir) {
				t.Errorf("decodeName(%q) = %q, %v, %v; want %q, %v, true", name, seg, dir, ok, tt.seg, name == tt.dir)
			}
		}
	}
	for _, name := range []string{".d", "..d", ".", "a\\b", "a\x00"} {
		if seg, _, ok := decodeName(name); ok {
			t.Errorf("decodeName(%q) = %q, ok; want not ok", name, seg)
		}
	}
}

func TestObjectPath(t *testing.T) {
	t.Parallel()
	file, dir, err := objectPath("logs/conf.d/out.txt")
	if err != nil || file != "objects/logs.d/conf.d.d.d/out.txt" || dir != "objects/logs.d/conf.d.d.d" {
		t.Errorf("objectPath = %q, %q, %v", file, dir, err)
	}
	if _, _, err := objectPath(strings.Repeat("x", 254) + "/y"); err == nil {
		t.Errorf("objectPath with a 256-byte directory name: no error")
	}
	if _, _, err := objectPath("y/" + strings.Repeat("x", 255)); err != nil {
		t.Errorf("objectPath with a 255-byte file name: %v", err)
	}
}
