package parser

import (
	"math"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
	"go.opentelemetry.io/collector/pdata/plog"
)

// timestampOf reads a time field: an RFC 3339 / ISO 8601 string, or an epoch
// number (or digit string) in s, ms, µs or ns told apart by magnitude.
// It returns Unix nanoseconds.
func timestampOf(v *fastjson.Value) (uint64, bool) {
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		if t, ok := ParseTime(b); ok {
			return t, true
		}
		return parseEpoch(b)
	case fastjson.TypeNumber:
		raw := v.MarshalTo(nil)
		if t, ok := parseEpoch(raw); ok {
			return t, true
		}
		// Exponent notation and the like.
		f, err := v.Float64()
		if err != nil {
			return 0, false
		}
		return epochFloat(f)
	default:
		return 0, false
	}
}

// ParseTime parses `YYYY-MM-DD[Tt ]hh:mm[:ss][.fraction][Z|±hh[:mm]]`, or a
// bare date, without allocating. A missing zone means UTC.
func ParseTime(b []byte) (uint64, bool) {
	if len(b) < 10 || b[4] != '-' || b[7] != '-' {
		return 0, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 || day > 31 {
		return 0, false
	}
	var hour, minute, sec, nsec int
	b = b[10:]
	if len(b) > 0 {
		if b[0] != 'T' && b[0] != 't' && b[0] != ' ' {
			return 0, false
		}
		b = b[1:]
		if len(b) < 5 || b[2] != ':' {
			return 0, false
		}
		var okh, okm bool
		hour, okh = digits(b[0:2])
		minute, okm = digits(b[3:5])
		if !okh || !okm || hour > 23 || minute > 59 {
			return 0, false
		}
		b = b[5:]
		if len(b) >= 3 && b[0] == ':' {
			var oks bool
			sec, oks = digits(b[1:3])
			if !oks || sec > 60 {
				return 0, false
			}
			b = b[3:]
		}
		if len(b) > 0 && (b[0] == '.' || b[0] == ',') {
			b = b[1:]
			n := 0
			scale := 100_000_000
			for n < len(b) && b[n] >= '0' && b[n] <= '9' {
				if scale > 0 {
					nsec += int(b[n]-'0') * scale
					scale /= 10
				}
				n++
			}
			if n == 0 {
				return 0, false
			}
			b = b[n:]
		}
	}
	offset := 0
	if len(b) > 0 {
		switch b[0] {
		case 'Z', 'z':
			if len(b) != 1 {
				return 0, false
			}
		case '+', '-':
			sign := 1
			if b[0] == '-' {
				sign = -1
			}
			z := b[1:]
			var zh, zm int
			var ok bool
			switch len(z) {
			case 2:
				zh, ok = digits(z)
			case 4:
				zh, ok = digits(z[0:2])
				if ok {
					zm, ok = digits(z[2:4])
				}
			case 5:
				if z[2] != ':' {
					return 0, false
				}
				zh, ok = digits(z[0:2])
				if ok {
					zm, ok = digits(z[3:5])
				}
			}
			if !ok || zh > 23 || zm > 59 {
				return 0, false
			}
			offset = sign * (zh*3600 + zm*60)
		default:
			return 0, false
		}
	}
	if day > daysIn(year, month) { // 31 February and the like
		return 0, false
	}
	secs := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec-offset)
	if secs < 0 || secs > math.MaxInt64/int64(time.Second)-1 {
		return 0, false // before 1970, or past what Unix nanoseconds hold (2262)
	}
	ns := secs*int64(time.Second) + int64(nsec)
	return uint64(ns), true
}

// daysFromCivil is the number of days from 1970-01-01 to the given date in
// the proleptic Gregorian calendar (H. Hinnant's algorithm); time.Date does
// the same with more generality and cost.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseEpoch reads `digits[.digits]` exactly (no float rounding of the
// integer part) and scales it by magnitude.
func parseEpoch(b []byte) (uint64, bool) {
	dot := -1
	for i, c := range b {
		if c == '.' && dot < 0 {
			dot = i
			continue
		}
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	intPart := b
	var frac []byte
	if dot >= 0 {
		intPart, frac = b[:dot], b[dot+1:]
	}
	if len(intPart) == 0 || len(intPart) > 19 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(intPart), 10, 64)
	if err != nil {
		return 0, false
	}
	var unit uint64 // nanoseconds per unit of n
	switch {
	case n < 1e11:
		unit = 1e9
	case n < 1e14:
		unit = 1e6
	case n < 1e17:
		unit = 1e3
	default:
		unit = 1
	}
	if n > math.MaxUint64/unit {
		return 0, false
	}
	ns := n * unit
	// Fraction digits of the unit.
	scale := unit / 10
	for _, c := range frac {
		if scale == 0 {
			break
		}
		ns += uint64(c-'0') * scale
		scale /= 10
	}
	return ns, true
}

func epochFloat(f float64) (uint64, bool) {
	if f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	var ns float64
	switch {
	case f < 1e11:
		ns = f * 1e9
	case f < 1e14:
		ns = f * 1e6
	case f < 1e17:
		ns = f * 1e3
	default:
		ns = f
	}
	if ns >= math.MaxUint64 {
		return 0, false
	}
	return uint64(ns), true
}

// severityOf maps a level name, case-insensitively, to a severity number.
func severityOf(b []byte) plog.SeverityNumber {
	var buf [16]byte
	if len(b) > len(buf) {
		return plog.SeverityNumberUnspecified
	}
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	switch string(buf[:len(b)]) {
	case "trace", "trc":
		return plog.SeverityNumberTrace
	case "debug", "dbg", "verbose":
		return plog.SeverityNumberDebug
	case "info", "inf", "information", "informational":
		return plog.SeverityNumberInfo
	case "notice":
		return plog.SeverityNumberInfo2
	case "warn", "warning", "wrn":
		return plog.SeverityNumberWarn
	case "error", "err", "erro":
		return plog.SeverityNumberError
	case "critical", "crit":
		return plog.SeverityNumberFatal
	case "fatal", "ftl":
		return plog.SeverityNumberFatal
	case "alert":
		return plog.SeverityNumberFatal2
	case "emerg", "emergency", "panic":
		return plog.SeverityNumberFatal3
	}
	return plog.SeverityNumberUnspecified
}

// numericSeverity maps pino/bunyan numeric levels.
func numericSeverity(i int) (plog.SeverityNumber, string) {
	switch i {
	case 10:
		return plog.SeverityNumberTrace, "trace"
	case 20:
		return plog.SeverityNumberDebug, "debug"
	case 30:
		return plog.SeverityNumberInfo, "info"
	case 40:
		return plog.SeverityNumberWarn, "warn"
	case 50:
		return plog.SeverityNumberError, "error"
	case 60:
		return plog.SeverityNumberFatal, "fatal"
	}
	return plog.SeverityNumberUnspecified, ""
}
