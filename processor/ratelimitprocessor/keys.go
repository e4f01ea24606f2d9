package ratelimitprocessor // import "github.com/redline-otel/redline/processor/ratelimitprocessor"

import (
	"context"
	"net"
	"net/netip"
	"strconv"

	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/redline-otel/redline/processor/ratelimitprocessor/internal/limiter"
)

// partSeparator joins the parts of a key. A control character, so that
// ("a|b", "c") and ("a", "b|c") stay different keys.
const partSeparator = 0x1f

// keySpec is a limit's key, compiled from its configuration.
type keySpec struct {
	parts []partSpec
	// shareMissing: records without any key attribute share the empty key.
	shareMissing bool
}

type partSpec struct {
	names []string // attribute names, in order of preference
	peer  bool     // fall back to the sender's address
}

func newKeySpec(l LimitConfig) keySpec {
	ks := keySpec{shareMissing: l.WhenKeyMissing == KeyMissingShare}
	for _, part := range l.Key {
		var ps partSpec
		for _, name := range part {
			if name == PeerSource {
				ps.peer = true
				continue
			}
			ps.names = append(ps.names, name)
		}
		ks.parts = append(ks.parts, ps)
	}
	return ks
}

// scratch is the per-request working memory, pooled so that a steady stream
// of requests does not allocate.
type scratch struct {
	batch limiter.Batch
	// unitOf maps each record, in walk order, to its unit, or -1 when exempt.
	unitOf []int32
	// peer is the sender's address, or empty.
	peer []byte
	// outer holds, per limit and part, the value found in the current
	// scope or resource: outerVal[i] indexes outerBuf, -1 when unset.
	outerBuf []byte
	outerOff []int32
	outerLen []int32
	key      []byte
	// requestUnit is the single unit of unit: requests.
	requestUnit bool
	// allDenied is set when an all-or-nothing decision denied the request.
	allDenied bool
	// deniedBy counts denials per bucket (last: backend) for this request.
	deniedBy []int64
}

func newScratch(nLimits int) *scratch {
	return &scratch{deniedBy: make([]int64, nLimits+1)}
}

// reset prepares s for a request.
func (s *scratch) reset(ctx context.Context, r *rateLimiter) {
	s.batch.Reset(len(r.keys))
	s.unitOf = s.unitOf[:0]
	s.peer = appendPeer(ctx, s.peer[:0])
	clear(s.deniedBy)
	s.requestUnit = r.cfg.Unit == UnitRequests
	if s.requestUnit {
		s.batch.AddUnit(1)
	}
}

// appendPeer appends the IP of the request's sender, without its port (a
// client opens connections from many ports).
func appendPeer(ctx context.Context, dst []byte) []byte {
	switch a := client.FromContext(ctx).Addr.(type) {
	case nil:
		return dst
	case *net.TCPAddr:
		return appendIP(dst, a.IP)
	case *net.IPAddr:
		return appendIP(dst, a.IP)
	case *net.UDPAddr:
		return appendIP(dst, a.IP)
	default:
		return append(dst, a.String()...)
	}
}

func appendIP(dst []byte, ip net.IP) []byte {
	addr, ok := netip.AddrFromSlice(ip)
	if !ok {
		return dst
	}
	return addr.Unmap().AppendTo(dst)
}

// setOuter records the key values a scope and its resource supply, so that
// each record only looks at its own attributes. Scope attributes win over
// resource attributes.
func (s *scratch) setOuter(r *rateLimiter, resource, scope pcommon.Map) {
	s.outerBuf = s.outerBuf[:0]
	s.outerOff = s.outerOff[:0]
	s.outerLen = s.outerLen[:0]
	for i := range r.keys {
		for _, p := range r.keys[i].parts {
			off := int32(len(s.outerBuf))
			found := false
			for _, m := range [2]pcommon.Map{scope, resource} {
				if s.outerBuf, found = appendFirst(s.outerBuf, m, p.names); found {
					break
				}
			}
			if !found && p.peer && len(s.peer) > 0 {
				s.outerBuf, found = append(s.outerBuf, s.peer...), true
			}
			if !found {
				off = -1
			}
			s.outerOff = append(s.outerOff, off)
			s.outerLen = append(s.outerLen, int32(len(s.outerBuf))-max(off, 0))
		}
	}
}

// addRecord adds one non-exempt record costing cost to the batch.
func (s *scratch) addRecord(r *rateLimiter, attrs pcommon.Map, cost int64) {
	if s.requestUnit {
		s.unitOf = append(s.unitOf, 0)
	} else {
		s.unitOf = append(s.unitOf, int32(s.batch.AddUnit(cost)))
	}
	outer := 0
	for i := range r.keys {
		ks := &r.keys[i]
		if len(ks.parts) == 0 {
			s.batch.AddKey(i, nil)
			continue
		}
		s.key = s.key[:0]
		anyFound := false
		for j := range ks.parts {
			if j > 0 {
				s.key = append(s.key, partSeparator)
			}
			var found bool
			if s.key, found = appendFirst(s.key, attrs, ks.parts[j].names); !found {
				if off := s.outerOff[outer]; off >= 0 {
					s.key = append(s.key, s.outerBuf[off:off+s.outerLen[outer]]...)
					found = true
				}
			}
			anyFound = anyFound || found
			outer++
		}
		if anyFound || ks.shareMissing {
			if !anyFound {
				s.key = s.key[:0]
			}
			s.batch.AddKey(i, s.key)
		}
	}
}

// addExempt records that the next record bypasses the limits.
func (s *scratch) addExempt() { s.unitOf = append(s.unitOf, -1) }

// appendFirst appends the value of the first of names set in m.
func appendFirst(dst []byte, m pcommon.Map, names []string) ([]byte, bool) {
	for _, name := range names {
		if v, ok := m.Get(name); ok {
			return appendValue(dst, v), true
		}
	}
	return dst, false
}

func appendValue(dst []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return append(dst, v.Str()...)
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(dst, v.Bool())
	case pcommon.ValueTypeDouble:
		return strconv.AppendFloat(dst, v.Double(), 'g', -1, 64)
	default:
		return append(dst, v.AsString()...)
	}
}
