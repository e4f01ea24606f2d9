package parser

import (
	"time"
)

// day is the date that a time of day without a date (a text line's
// "14:30:45.123") is taken to be on.
type day struct {
	// start is 00:00 UTC of that date, in Unix ns.
	start int64
	// observed is when the lines were read, in Unix ns, when the date is
	// the one they were read on (no date in the file name); 0 otherwise.
	observed int64
	set      bool
	name     string // the file name start was taken from
}

// midnightSlack is how far after the time a line was read its time of day
// may lie and still be taken as that day: further ahead, the line is from
// the day before (a line written at 23:59:59.9 and read at 00:00:00.1), up
// to this much clock difference between the writer and the reader.
const midnightSlack = time.Hour

// SetSource tells the parser where the next lines come from, for the date of
// times of day without one: the date in fileName (YYYY-MM-DD, the last one in
// the name, as daily-rolling files are named: access-2026-05-08.log), else
// the date of observed (in UTC), and then the day before when the time of day
// lies more than an hour after observed's. Without SetSource the date is the
// current one, as with a file name without a date. Times of day are UTC, as
// are times without a zone in a JSON line.
func (p *Parser) SetSource(fileName string, observed time.Time) {
	if p.day.set && fileName == p.day.name && p.day.observed == 0 {
		return // the same dated file as before
	}
	p.day = day{set: true, name: fileName}
	if d, ok := dateInName(fileName); ok {
		p.day.start = d
		return
	}
	p.day.observed = observed.UnixNano()
	p.day.start = startOfDay(p.day.observed)
}

// clockTime combines ns, a time of day, with the parser's day.
func (p *Parser) clockTime(ns int64) uint64 {
	d := p.day
	if !d.set {
		d.observed = time.Now().UnixNano()
		d.start = startOfDay(d.observed)
	}
	t := d.start + ns
	if d.observed != 0 && t > d.observed+int64(midnightSlack) {
		t -= int64(24 * time.Hour)
	}
	return uint64(max(t, 0))
}

func startOfDay(ns int64) int64 {
	const dayNS = int64(24 * time.Hour)
	return ns - ns%dayNS
}

// dateInName finds the last valid YYYY-MM-DD in name and returns its 00:00
// UTC in Unix ns.
func dateInName(name string) (int64, bool) {
	for i := len(name) - 10; i >= 0; i-- {
		s := name[i : i+10]
		if s[4] != '-' || s[7] != '-' {
			continue
		}
		if i > 0 && isDigit(name[i-1]) || i+10 < len(name) && isDigit(name[i+10]) {
			continue // part of a longer number
		}
		// Before 2100: far later dates would overflow with a time added.
		if t, ok := ParseTime(bytesOf(s)); ok && t < 4102444800e9 {
			return int64(t), true
		}
	}
	return 0, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
