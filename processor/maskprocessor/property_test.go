package maskprocessor

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/redline-otel/redline/processor/maskprocessor/internal/masker"
)

// planter builds random pdata with known secrets planted at random places and
// remembers them, along with noise values that must survive untouched.
type planter struct {
	r       *rand.Rand
	n       int
	secrets []string // must not appear anywhere in the output
	noise   []string // must appear unchanged in the output
}

var noiseWords = []string{"alpha", "bravo", "status", "region", "model", "path", "latency", "shard", "queue", "retry"}

func (p *planter) id() int { p.n++; return p.n }

// variant writes a rule key the way a random application might.
func (p *planter) variant(key string) string {
	switch p.r.IntN(4) {
	case 0:
		return strings.ToUpper(key)
	case 1:
		return strings.ReplaceAll(key, "_", "-")
	case 2:
		return strings.ReplaceAll(strings.ReplaceAll(key, "_", "."), "-", ".")
	default:
		return key
	}
}

func (p *planter) pick(list []string) string { return list[p.r.IntN(len(list))] }

func (p *planter) secret() string {
	s := fmt.Sprintf("Zs%dq%xPLANT", p.id(), p.r.Uint32())
	p.secrets = append(p.secrets, s)
	return s
}

func (p *planter) noiseValue() string {
	s := fmt.Sprintf("%s-noise%d", p.pick(noiseWords), p.id())
	p.noise = append(p.noise, s)
	return s
}

func (p *planter) noiseKey() string { return fmt.Sprintf("k%d_%s", p.id(), p.pick(noiseWords)) }

// luhnCard returns a 16-digit Visa number with a valid check digit.
func (p *planter) luhnCard() string {
	d := make([]byte, 16)
	d[0] = 4
	for i := 1; i < 15; i++ {
		d[i] = byte(p.r.IntN(10))
	}
	sum := 0
	for i := 14; i >= 0; i-- {
		v := int(d[i])
		if (14-i)%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	d[15] = byte((10 - sum%10) % 10)
	var b strings.Builder
	for _, v := range d {
		b.WriteByte('0' + v)
	}
	return b.String()
}

const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func (p *planter) randStr(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[p.r.IntN(len(alphabet))]
	}
	return string(b)
}

// piiItem returns a PII value (remembered as a secret) for free text.
func (p *planter) piiItem() string {
	var s string
	switch p.r.IntN(13) {
	case 9: // URL userinfo password
		return fmt.Sprintf("postgres://app%d:%s@db.example:5432/x", p.id(), p.secret())
	case 10: // key: value of a secret key in prose
		return fmt.Sprintf("%s: %s", p.variant(p.pick(masker.SeedSecretKeys)), p.secret())
	case 11: // key=value of a secret key in prose
		return fmt.Sprintf("%s=%s", p.variant(p.pick(masker.SeedSecretKeys)), p.secret())
	case 12: // Basic credentials
		s = base64.StdEncoding.EncodeToString([]byte("user:" + p.secret()))
		p.secrets = append(p.secrets, s)
		return "Authorization: Basic " + s
	case 0:
		s = fmt.Sprintf("user%d.x@example.com", p.id())
	case 1:
		s = fmt.Sprintf("+1 415 %03d %04d", p.r.IntN(1000), p.id()%10000)
	case 2:
		s = fmt.Sprintf("(415) %03d-%04d", 200+p.r.IntN(700), p.id()%10000)
	case 3:
		s = p.luhnCard()
	case 4:
		s = "eyJhbGciOiJIUzI1NiJ9." + p.randStr(b64url, 24) + "." + p.randStr(b64url, 20)
	case 5:
		s = "Bearer tok" + p.randStr(b64url, 20)
	case 6:
		s = "AKIA" + p.randStr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
	case 7:
		s = "-----BEGIN EC PRIVATE KEY-----\n" + p.randStr(b64url, 40) + "\n-----END EC PRIVATE KEY-----"
	default:
		s = fmt.Sprintf("https://h.example/cb?%s=%s&page=2", p.variant(p.pick(masker.SeedSecretKeys)), p.secret())
		return s
	}
	p.secrets = append(p.secrets, s)
	return s
}

func (p *planter) freeText() string {
	return fmt.Sprintf("%s said %s then %s", p.noiseValue(), p.piiItem(), p.pick(noiseWords))
}

// fill adds random entries to m, some of them planted, nesting down to depth.
func (p *planter) fill(m pcommon.Map, depth int) {
	// Rule keys repeat; writing one twice would drop the noise planted
	// under the first, so fill a scratch map and copy only new keys.
	for range 1 + p.r.IntN(5) {
		scratch := pcommon.NewMap()
		p.fillOne(scratch, depth)
		for k, v := range scratch.All() {
			if _, exists := m.Get(k); !exists {
				v.CopyTo(m.PutEmpty(k))
			} else {
				p.forget(v)
			}
		}
	}
}

// forget drops the secrets and noise of a value that was not planted.
func (p *planter) forget(v pcommon.Value) {
	s := v.AsString()
	p.noise = slices.DeleteFunc(p.noise, func(n string) bool { return strings.Contains(s, n) })
	p.secrets = slices.DeleteFunc(p.secrets, func(n string) bool { return strings.Contains(s, jsonEscape(n)) || strings.Contains(s, n) })
}

func (p *planter) fillOne(m pcommon.Map, depth int) {
	{
		switch p.r.IntN(15) {
		case 9: // header map as Node rawHeaders: name, value, name, value
			l := m.PutEmptySlice(p.variant(p.pick(masker.DefaultHeaderMapKeys)))
			for _, s := range []string{"Content-Type", p.noiseValue(), p.pick(masker.DefaultHeaderNames), p.secret()} {
				l.AppendEmpty().SetStr(s)
			}
		case 10: // header map as [name, value] pairs
			l := m.PutEmptySlice(p.variant(p.pick(masker.DefaultHeaderMapKeys)))
			for _, kv := range [][2]string{{"Accept", p.noiseValue()}, {p.variant(p.pick(masker.DefaultHeaderNames)), p.secret()}} {
				pair := l.AppendEmpty().SetEmptySlice()
				pair.AppendEmpty().SetStr(kv[0])
				pair.AppendEmpty().SetStr(kv[1])
			}
		case 11: // header map as a JSON object in a string
			m.PutStr(p.variant(p.pick(masker.DefaultHeaderMapKeys)),
				fmt.Sprintf(`{"Accept":%q,%q:%q}`, p.noiseValue(), p.pick(masker.DefaultHeaderNames), p.secret()))
		case 12: // header map as multi-line header text
			m.PutStr(p.variant(p.pick(masker.DefaultHeaderMapKeys)),
				fmt.Sprintf("GET / HTTP/1.1\r\nHost: %s\r\n%s: %s\r\n", p.noiseValue(), p.pick(masker.DefaultHeaderNames), p.secret()))
		case 13: // bare sensitive header name outside a header map
			m.PutStr(p.variant(p.pick(masker.DefaultHeaderNames)), p.secret())
		case 14: // a map named header nested under an ordinary key
			h := m.PutEmptyMap(p.noiseKey()).PutEmptyMap("header")
			h.PutStr(p.pick(masker.DefaultHeaderNames), p.secret())
			h.PutStr("Accept", p.noiseValue())
		case 0: // secret key, any value type
			key := p.variant(p.pick(masker.SeedSecretKeys))
			switch p.r.IntN(4) {
			case 0:
				m.PutStr(key, p.secret())
			case 1:
				inner := m.PutEmptyMap(key)
				inner.PutStr("nested", p.secret())
			case 2:
				m.PutEmptySlice(key).AppendEmpty().SetStr(p.secret())
			default:
				v := int64(7_770_000_000_000 + p.id())
				p.secrets = append(p.secrets, fmt.Sprint(v))
				m.PutInt(key, v)
			}
		case 1: // identifier
			v := fmt.Sprintf("%s%dIDENTIFIER%x", "abcdef", p.id(), p.r.Uint64())
			p.secrets = append(p.secrets, v)
			m.PutStr(p.variant(p.pick(masker.DefaultIdentifierKeys)), v)
		case 2: // header map
			h := m.PutEmptyMap(p.variant(p.pick(masker.DefaultHeaderMapKeys)))
			h.PutStr(p.variant(p.pick(masker.DefaultHeaderNames)), p.secret())
			h.PutStr("Content-Type", p.noiseValue())
		case 3: // flattened header
			name := p.pick(masker.DefaultHeaderKeyPrefixes) + strings.ToLower(p.pick(masker.DefaultHeaderNames))
			m.PutEmptySlice(name).AppendEmpty().SetStr(p.secret())
		case 4: // free text
			m.PutStr(p.noiseKey(), p.freeText())
		case 5: // nested map
			if depth > 0 {
				p.fill(m.PutEmptyMap(p.noiseKey()), depth-1)
			}
		case 6: // slice of maps and strings
			if depth > 0 {
				s := m.PutEmptySlice(p.noiseKey())
				p.fill(s.AppendEmpty().SetEmptyMap(), depth-1)
				s.AppendEmpty().SetStr(p.freeText())
			}
		default: // noise
			switch p.r.IntN(3) {
			case 0:
				m.PutStr(p.noiseKey(), p.noiseValue())
			case 1:
				m.PutInt(p.noiseKey(), int64(p.r.IntN(1000)))
			default:
				m.PutBool(p.noiseKey(), true)
			}
		}
	}
}

func (p *planter) logs() plog.Logs {
	ld := plog.NewLogs()
	for range 1 + p.r.IntN(2) {
		rl := ld.ResourceLogs().AppendEmpty()
		p.fill(rl.Resource().Attributes(), 1)
		sl := rl.ScopeLogs().AppendEmpty()
		p.fill(sl.Scope().Attributes(), 0)
		for range 1 + p.r.IntN(4) {
			lr := sl.LogRecords().AppendEmpty()
			p.fill(lr.Attributes(), 3)
			if p.r.IntN(2) == 0 {
				lr.Body().SetStr(p.freeText())
			} else {
				p.fill(lr.Body().SetEmptyMap(), 3)
			}
		}
	}
	return ld
}

func (p *planter) traces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	p.fill(rs.Resource().Attributes(), 1)
	ss := rs.ScopeSpans().AppendEmpty()
	p.fill(ss.Scope().Attributes(), 0)
	for range 1 + p.r.IntN(3) {
		sp := ss.Spans().AppendEmpty()
		sp.SetName(p.noiseValue())
		p.fill(sp.Attributes(), 3)
		p.fill(sp.Events().AppendEmpty().Attributes(), 2)
		p.fill(sp.Links().AppendEmpty().Attributes(), 2)
		sp.Status().SetMessage(p.freeText())
	}
	return td
}

func (p *planter) metrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	p.fill(rm.Resource().Attributes(), 1)
	sm := rm.ScopeMetrics().AppendEmpty()
	p.fill(sm.Scope().Attributes(), 0)
	point := func(attrs pcommon.Map, ex pmetric.ExemplarSlice) {
		p.fill(attrs, 2)
		if ex != (pmetric.ExemplarSlice{}) {
			p.fill(ex.AppendEmpty().FilteredAttributes(), 1)
		}
	}
	m := sm.Metrics().AppendEmpty()
	m.SetName("g")
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	point(dp.Attributes(), dp.Exemplars())
	m = sm.Metrics().AppendEmpty()
	m.SetName("s")
	sdp := m.SetEmptySum().DataPoints().AppendEmpty()
	point(sdp.Attributes(), sdp.Exemplars())
	m = sm.Metrics().AppendEmpty()
	m.SetName("h")
	hdp := m.SetEmptyHistogram().DataPoints().AppendEmpty()
	point(hdp.Attributes(), hdp.Exemplars())
	m = sm.Metrics().AppendEmpty()
	m.SetName("e")
	edp := m.SetEmptyExponentialHistogram().DataPoints().AppendEmpty()
	point(edp.Attributes(), edp.Exemplars())
	m = sm.Metrics().AppendEmpty()
	m.SetName("q")
	qdp := m.SetEmptySummary().DataPoints().AppendEmpty()
	point(qdp.Attributes(), pmetric.ExemplarSlice{})
	return md
}

// TestPropertyPlantedSecretsVanish plants secrets of every default rule at
// random places of random logs, traces and metrics, and checks that none
// survives, that noise survives, and that a second pass changes nothing.
func TestPropertyPlantedSecretsVanish(t *testing.T) {
	cfgs := map[string]*Config{"default": defaultCfg(), "hash": hashCfg(), "annotate": annotateCfg()}
	for _, cfg := range cfgs {
		cfg.PII.Types = masker.PIITypes
	}
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			for seed := uint64(1); seed <= 40; seed++ {
				p := &planter{r: rand.New(rand.NewPCG(seed, 0x5eed))}
				check := func(signal string, out, again []byte) {
					require.NotEmpty(t, p.secrets, "nothing planted")
					s := string(out)
					for _, secret := range p.secrets {
						if strings.Contains(s, jsonEscape(secret)) {
							require.Failf(t, "planted secret survived", "seed %d %s: %q in %s", seed, signal, secret, s)
						}
					}
					for _, n := range p.noise {
						assert.Contains(t, s, n, "seed %d %s: noise value changed", seed, signal)
					}
					assert.Equal(t, s, string(again), "seed %d %s: not idempotent", seed, signal)
					p.secrets, p.noise = nil, nil // the next signal plants its own
				}

				ld := p.logs()
				out := runLogs(t, cfg, ld)
				again := plog.NewLogs()
				out.CopyTo(again)
				check("logs", marshalLogs(t, out), marshalLogs(t, runLogs(t, cfg, again)))

				td := p.traces()
				outT := runTraces(t, cfg, td)
				againT := ptrace.NewTraces()
				outT.CopyTo(againT)
				check("traces", marshalTraces(t, outT), marshalTraces(t, runTraces(t, cfg, againT)))

				md := p.metrics()
				outM := runMetrics(t, cfg, md)
				againM := pmetric.NewMetrics()
				outM.CopyTo(againM)
				check("metrics", marshalMetrics(t, outM), marshalMetrics(t, runMetrics(t, cfg, againM)))
			}
		})
	}
}

// jsonEscape renders s as it appears inside a JSON string.
func jsonEscape(s string) string {
	return strings.NewReplacer("\n", `\n`, `"`, `\"`, "&", `\u0026`, "<", `\u003c`, ">", `\u003e`).Replace(s)
}

func marshalLogs(t *testing.T, ld plog.Logs) []byte {
	b, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	return b
}

func marshalTraces(t *testing.T, td ptrace.Traces) []byte {
	b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	require.NoError(t, err)
	return b
}

func marshalMetrics(t *testing.T, md pmetric.Metrics) []byte {
	b, err := (&pmetric.JSONMarshaler{}).MarshalMetrics(md)
	require.NoError(t, err)
	return b
}
