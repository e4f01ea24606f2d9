package tail

import (
	"bytes"
	"io"
)

// scanner splits a byte stream into lines, cutting lines longer than maxLine.
// It owns its buffer: a returned line is valid until the next call.
type scanner struct {
	r        io.Reader
	buf      []byte
	start    int   // first unconsumed byte in buf
	end      int   // end of valid data in buf
	pos      int64 // stream offset of buf[start]
	maxLine  int
	skipping bool // inside the dropped tail of an over-long line
	eof      bool
	err      error // a read error other than io.EOF
}

func newScanner(buf []byte, maxLine int) *scanner {
	return &scanner{buf: buf, maxLine: maxLine}
}

func (s *scanner) reset(r io.Reader, pos int64, skipping bool) {
	s.r, s.pos, s.skipping = r, pos, skipping
	s.start, s.end, s.eof, s.err = 0, 0, false, nil
}

// next returns the next complete line (without "\n") and its stream offset.
// truncated reports a line cut at maxLine; the rest of such a line is
// skipped. ok is false when no complete line is available: pending() then
// holds the unterminated remainder.
func (s *scanner) next() (line []byte, off int64, truncated, ok bool) {
	zeroReads := 0
	for {
		if i := bytes.IndexByte(s.buf[s.start:s.end], '\n'); i >= 0 {
			l := s.buf[s.start : s.start+i]
			off = s.pos
			s.start += i + 1
			s.pos += int64(i + 1)
			if s.skipping {
				s.skipping = false
				continue
			}
			if len(l) > s.maxLine {
				return l[:s.maxLine], off, true, true
			}
			return l, off, false, true
		}
		pending := s.end - s.start
		if s.skipping {
			// Drop what is buffered of the over-long line; its end is still ahead.
			s.pos += int64(pending)
			s.start = s.end
		} else if pending > s.maxLine {
			l := s.buf[s.start : s.start+s.maxLine]
			off = s.pos
			s.start += s.maxLine
			s.pos += int64(s.maxLine)
			s.skipping = true
			return l, off, true, true
		}
		if s.eof {
			return nil, 0, false, false
		}
		if s.start > 0 {
			copy(s.buf, s.buf[s.start:s.end])
			s.end -= s.start
			s.start = 0
		}
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		switch {
		case err == io.EOF:
			s.eof = true
		case err != nil:
			s.eof, s.err = true, err
		case n == 0:
			// A reader that returns nothing without an error must not spin us.
			zeroReads++
			if zeroReads > 3 {
				s.eof = true
			}
		}
	}
}

// pending returns the unterminated bytes after the last line (never part of
// a skipped line) and their offset.
func (s *scanner) pending() ([]byte, int64) {
	return s.buf[s.start:s.end], s.pos
}

// consumePending marks the pending bytes as read (after they were emitted as
// a line).
func (s *scanner) consumePending() {
	s.pos += int64(s.end - s.start)
	s.start = s.end
}
