package blobtest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/google/go-cmp/cmp"
)

// Run runs the conformance suite. newStore is called once per subtest,
// possibly from parallel subtests, and must return an empty store; it should
// register its own cleanup with t.Cleanup. Presigned URLs the store returns
// must be reachable by an http.Client while the test runs. The keys the
// suite uses have segments of at most 100 bytes, so adapters over a file
// system can hold them.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"PutGet", testPutGet},
		{"Overwrite", testOverwrite},
		{"NotFound", testNotFound},
		{"KeyAndChildren", testKeyAndChildren},
		{"List", testList},
		{"Delete", testDelete},
		{"InvalidKeys", testInvalidKeys},
		{"ConcurrentPut", testConcurrentPut},
		{"LargeObject", testLargeObject},
		{"PutReaderError", testPutReaderError},
		{"PutCanceled", testPutCanceled},
		{"PresignRoundTrip", testPresignRoundTrip},
		{"PresignGetMissing", testPresignGetMissing},
		{"PresignWrongMethod", testPresignWrongMethod},
		{"PresignTampered", testPresignTampered},
		{"PresignExpired", testPresignExpired},
		{"PresignInvalid", testPresignInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

func testPutGet(t *testing.T, s blob.Store) {
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	tests := []struct {
		key  string
		data []byte
	}{
		{"a", []byte("hello")},
		{"dir/sub/file.txt", []byte("nested\n")},
		{"empty", nil},
		{"binary/all-bytes", binary},
		{"odd/a b%20c?d#e@f@@g~h", []byte("odd characters")},
		{"unicode/résumé/日本.txt", []byte("unicode")},
		{".hidden/.x/...", []byte("dots")},
	}
	for _, tt := range tests {
		put(t, s, tt.key, tt.data)
	}
	for _, tt := range tests {
		if got := get(t, s, tt.key); string(got) != string(tt.data) {
			t.Errorf("Get(%q) = %q, want %q", tt.key, clip(got), clip(tt.data))
		}
	}
}

func testOverwrite(t *testing.T, s blob.Store) {
	put(t, s, "k", []byte(strings.Repeat("old ", 1000)))
	put(t, s, "k", []byte("new"))
	if got := get(t, s, "k"); string(got) != "new" {
		t.Errorf("after overwrite Get = %q, want %q", clip(got), "new")
	}
	objs := list(t, s, "")
	if len(objs) != 1 || objs[0].Key != "k" || objs[0].Size != 3 {
		t.Errorf("after overwrite List = %+v, want one object k of size 3", objs)
	}
}

func testNotFound(t *testing.T, s blob.Store) {
	ctx := context.Background()
	put(t, s, "a/b", []byte("x"))
	for _, key := range []string{"missing", "a", "a/b/c", "a/bb", "A/b"} {
		rc, err := s.Get(ctx, key)
		if err == nil {
			rc.Close()
		}
		if !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("Get(%q) error = %v, want ErrNotFound", key, err)
		}
	}
}

// testKeyAndChildren checks that keys form a flat namespace: "a" and "a/b"
// are independent objects.
func testKeyAndChildren(t *testing.T, s blob.Store) {
	keys := []string{"a", "a/b", "a/b/c"}
	for _, k := range keys {
		put(t, s, k, []byte("value of "+k))
	}
	for _, k := range keys {
		if got := get(t, s, k); string(got) != "value of "+k {
			t.Errorf("Get(%q) = %q, want %q", k, got, "value of "+k)
		}
	}
	del(t, s, "a/b")
	if diff := cmp.Diff([]string{"a", "a/b/c"}, keysOf(list(t, s, ""))); diff != "" {
		t.Errorf("List after Delete(a/b) (-want +got):\n%s", diff)
	}
	del(t, s, "a")
	put(t, s, "a/b", []byte("again"))
	if diff := cmp.Diff([]string{"a/b", "a/b/c"}, keysOf(list(t, s, ""))); diff != "" {
		t.Errorf("List after Delete(a), Put(a/b) (-want +got):\n%s", diff)
	}
}

func testList(t *testing.T, s blob.Store) {
	before := time.Now()
	// Byte order: '-' < '.' < '/' < '0' < 'b'; a store walking directories
	// naively returns a/… before a-b or after a0.
	keys := []string{"a0", "a/c/d", "b", "a-b", "ab/x", "a/b", "a.b"}
	for i, k := range keys {
		put(t, s, k, make([]byte, 10*i+1))
	}
	sizes := map[string]int64{}
	for i, k := range keys {
		sizes[k] = int64(10*i + 1)
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a-b", "a.b", "a/b", "a/c/d", "a0", "ab/x", "b"}},
		{"a", []string{"a-b", "a.b", "a/b", "a/c/d", "a0", "ab/x"}},
		{"a/", []string{"a/b", "a/c/d"}},
		{"a/b", []string{"a/b"}},
		{"a/c", []string{"a/c/d"}},
		{"a/c/", []string{"a/c/d"}},
		{"a/c/d", []string{"a/c/d"}},
		{"ab", []string{"ab/x"}},
		{"b", []string{"b"}},
		{"nope", nil},
		{"a/c/d/", nil},
		{"../", nil},
		{"/", nil},
		{"a//", nil},
	}
	for _, tt := range tests {
		objs := list(t, s, tt.prefix)
		if diff := cmp.Diff(tt.want, keysOf(objs)); diff != "" {
			t.Errorf("List(%q) keys (-want +got):\n%s", tt.prefix, diff)
		}
		for _, o := range objs {
			if o.Size != sizes[o.Key] {
				t.Errorf("List(%q): %s size = %d, want %d", tt.prefix, o.Key, o.Size, sizes[o.Key])
			}
			if o.Modified.Before(before.Add(-time.Hour)) || o.Modified.After(time.Now().Add(time.Hour)) {
				t.Errorf("List(%q): %s modified = %v, want about %v", tt.prefix, o.Key, o.Modified, before)
			}
		}
	}
}

func testDelete(t *testing.T, s blob.Store) {
	ctx := context.Background()
	put(t, s, "d/x", []byte("x"))
	put(t, s, "d/y", []byte("y"))
	del(t, s, "d/x")
	if _, err := s.Get(ctx, "d/x"); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("Get after Delete error = %v, want ErrNotFound", err)
	}
	del(t, s, "d/x") // again: idempotent
	del(t, s, "never/existed")
	del(t, s, "d") // a "directory" of other keys is no object
	if diff := cmp.Diff([]string{"d/y"}, keysOf(list(t, s, ""))); diff != "" {
		t.Errorf("List after deletes (-want +got):\n%s", diff)
	}
}

func testInvalidKeys(t *testing.T, s blob.Store) {
	ctx := context.Background()
	keys := []string{
		"", "../x", "/abs", "a//b", "a/./b", "a/..", "..", ".", "trailing/",
		"a\nb", "a\x00b", `a\b`, "a\xffb", strings.Repeat("k", blob.MaxKeyLen+1),
	}
	for _, key := range keys {
		if err := s.Put(ctx, key, strings.NewReader("x")); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Put(%q) error = %v, want ErrInvalidKey", clip([]byte(key)), err)
		}
		rc, err := s.Get(ctx, key)
		if err == nil {
			rc.Close()
		}
		if !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Get(%q) error = %v, want ErrInvalidKey", clip([]byte(key)), err)
		}
		if err := s.Delete(ctx, key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Delete(%q) error = %v, want ErrInvalidKey", clip([]byte(key)), err)
		}
		if _, err := s.Presign(ctx, "GET", key, time.Minute); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("Presign(GET, %q) error = %v, want ErrInvalidKey", clip([]byte(key)), err)
		}
	}
	put(t, s, longestKey, []byte("longest key"))
	if got := keysOf(list(t, s, "")); len(got) != 1 {
		t.Errorf("after invalid puts List = %d objects, want only the longest valid key", len(got))
	}
}
