package capture

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzResolveRequestID checks, for any input, that the resolved id is valid,
// that the capture folder it names is one entry inside its date folder (so
// never outside the directory), that valid input is kept, and that the
// escaped original unescapes to the input.
func FuzzResolveRequestID(f *testing.F) {
	for _, seed := range []string{
		"", "abc", "825e53134e178cd1", ".", "..", "...", "../../etc/passwd", "/abs", `..\x`,
		"a\x00b", "café", "\xff", strings.Repeat("a", 128), strings.Repeat("a", 129),
		".~tmp-x", "id-1", "a:b.c_d-e", " ", "\n", "%2e%2e",
	} {
		f.Add(seed, true)
	}
	f.Add("", false)
	dir := filepath.Join(string(filepath.Separator), "captures")
	date := time.Date(2026, 5, 8, 0, 0, 0, 0, time.UTC).Format(DateLayout)
	f.Fuzz(func(t *testing.T, raw string, present bool) {
		got := ResolveRequestID(raw, present)
		if !ValidRequestID(got.ID) {
			t.Fatalf("resolved id %q is not valid", got.ID)
		}
		folder := filepath.Join(dir, date, got.ID)
		if filepath.Dir(folder) != filepath.Join(dir, date) || filepath.Base(folder) != got.ID {
			t.Fatalf("id %q names %q, not an entry of the date folder", got.ID, folder)
		}
		if rel, err := filepath.Rel(dir, folder); err != nil || strings.HasPrefix(rel, "..") {
			t.Fatalf("id %q escapes the directory: %q", got.ID, rel)
		}
		if present && ValidRequestID(raw) {
			if got.ID != raw || got.Generated {
				t.Fatalf("valid id %q was replaced by %q", raw, got.ID)
			}
			return
		}
		if !got.Generated || len(got.ID) != 16 {
			t.Fatalf("invalid id %q not replaced by a 16-hex id: %q", raw, got.ID)
		}
		if !present {
			return
		}
		back, err := strconv.Unquote(`"` + got.Original + `"`)
		if err != nil {
			t.Fatalf("original %q does not unescape: %v", got.Original, err)
		}
		want := raw
		if got.OriginalTruncated {
			want = raw[:maxOriginalIDLen]
		}
		if back != want {
			t.Fatalf("original %q unescapes to %q, want %q", got.Original, back, want)
		}
		for i := 0; i < len(got.Original); i++ {
			if c := got.Original[i]; c < 0x20 || c > 0x7e {
				t.Fatalf("original %q holds a non-printable byte", got.Original)
			}
		}
	})
}

// FuzzWriteStaysInside writes a capture under an arbitrary, unresolved id
// and checks that it lands as one folder directly inside its date folder,
// and that nothing appears next to the capture directory.
func FuzzWriteStaysInside(f *testing.F) {
	for _, seed := range []string{"ok", "", ".", "..", "../x", "/etc", "a/b", "a\x00b", "é", strings.Repeat("z", 200), ".~tmp-x"} {
		f.Add(seed)
	}
	outer := f.TempDir()
	dir := filepath.Join(outer, "captures")
	s := NewStore(dir, Options{CreateDirectory: true})
	f.Cleanup(func() { _ = s.Close() })
	f.Fuzz(func(t *testing.T, raw string) {
		res, err := s.Write(&Capture{Meta: Meta{RequestID: raw, Time: time.Unix(0, 0)}, Request: []byte(raw)})
		if err != nil {
			t.Fatalf("write %q: %v", raw, err)
		}
		date, name, ok := strings.Cut(res.Folder, "/")
		if !ok || date != "1970-01-01" || strings.Contains(name, "/") || !isCaptureName(name) {
			t.Fatalf("id %q written to %q", raw, res.Folder)
		}
		got, err := os.ReadFile(filepath.Join(dir, date, name, RequestFile))
		if err != nil || string(got) != raw {
			t.Fatalf("id %q: request body not found in %q: %v", raw, res.Folder, err)
		}
		entries, err := os.ReadDir(outer)
		if err != nil || len(entries) != 1 || entries[0].Name() != "captures" {
			t.Fatalf("id %q: something appeared outside the directory: %v", raw, entries)
		}
	})
}
