package tail

import (
	"bytes"
	"io"
	"testing"
)

// chunkReader returns at most n bytes per Read, like a pipe or a file being
// appended to.
type chunkReader struct {
	data []byte
	n    int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n, len(r.data))
	copy(p, r.data[:k])
	r.data = r.data[k:]
	return k, nil
}

type scanned struct {
	line      string
	off       int64
	truncated bool
}

// reference splits data the obvious way.
func reference(data []byte, maxLine int) (lines []scanned, rest []byte, restOff int64) {
	off := int64(0)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		l := data[:i]
		if len(l) > maxLine {
			lines = append(lines, scanned{string(l[:maxLine]), off, true})
		} else {
			lines = append(lines, scanned{string(l), off, false})
		}
		off += int64(i + 1)
		data = data[i+1:]
	}
	if len(data) > maxLine {
		lines = append(lines, scanned{string(data[:maxLine]), off, true})
		return lines, nil, off + int64(len(data))
	}
	return lines, data, off
}

// FuzzScanner checks line splitting, cutting and offsets against a plain
// reference, whatever the read sizes.
func FuzzScanner(f *testing.F) {
	f.Add([]byte("a\nbb\n\nccc"), 2, 1)
	f.Add([]byte("0123456789\nx\n"), 4, 3)
	f.Add([]byte("\r\n\r\n"), 1, 100)
	f.Add(bytes.Repeat([]byte("y"), 100), 10, 7)
	f.Fuzz(func(t *testing.T, data []byte, maxLine, chunk int) {
		if maxLine < 1 || maxLine > 64 || chunk < 1 || chunk > 256 {
			return
		}
		sc := newScanner(make([]byte, maxLine+16), maxLine)
		sc.reset(&chunkReader{data: data, n: chunk}, 0, false)
		var got []scanned
		for {
			l, off, tr, ok := sc.next()
			if !ok {
				break
			}
			got = append(got, scanned{string(l), off, tr})
		}
		want, rest, restOff := reference(data, maxLine)
		if len(got) != len(want) {
			t.Fatalf("got %d lines %+v, want %d %+v", len(got), got, len(want), want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("line %d: got %+v, want %+v", i, got[i], want[i])
			}
		}
		p, pOff := sc.pending()
		if sc.skipping {
			if sc.pos != int64(len(data)) || len(p) != 0 {
				t.Fatalf("skipping: pos %d of %d, pending %q", sc.pos, len(data), p)
			}
			return
		}
		if !bytes.Equal(p, rest) || pOff != restOff {
			t.Fatalf("pending %q at %d, want %q at %d", p, pOff, rest, restOff)
		}
	})
}
