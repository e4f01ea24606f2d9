//go:build system

package system

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// otlpSender sends log records with sequence numbers from base upwards to
// redline's OTLP/gRPC receiver, and resends a refused request after a backoff
// as the OTLP exporters of the SDKs and of other collectors do.
type otlpSender struct {
	conn   *grpc.ClientConn
	client plogotlp.GRPCClient
	base   int64
	next   atomic.Int64 // the next sequence number to hand out

	// body, when above zero, gives every record request and response bodies
	// of this many bytes and a request id: a payload the payloadcapture
	// exporter writes to disk.
	body int

	refusals atomic.Int64 // requests answered with an error (each retry counts)
	accepted atomic.Int64 // records accepted
}

func newOTLPSender(endpoint string, base int64) (*otlpSender, error) {
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	s := &otlpSender{conn: conn, client: plogotlp.NewGRPCClient(conn), base: base}
	s.next.Store(base)
	return s, nil
}

func (s *otlpSender) close() error { return s.conn.Close() }

// written is how many sequence numbers the sender has handed out: once every
// send returned without error, all of [base, base+written) were accepted.
func (s *otlpSender) written() int64 { return s.next.Load() - s.base }

// request builds one export request of n records with the next sequence numbers.
func (s *otlpSender) request(n int) plogotlp.ExportRequest {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr("service.name", "otlp-burst")
	recs := rl.ScopeLogs().AppendEmpty().LogRecords()
	recs.EnsureCapacity(n)
	now := pcommon.NewTimestampFromTime(time.Now())
	first := s.next.Add(int64(n)) - int64(n)
	for i := 0; i < n; i++ {
		lr := recs.AppendEmpty()
		lr.SetTimestamp(now)
		lr.SetSeverityText("info")
		lr.Body().SetStr("rpc completed")
		attrs := lr.Attributes()
		attrs.PutStr("service", "burst")
		attrs.PutStr("method", "submit")
		attrs.PutStr("status_code", "OK")
		attrs.PutDouble("duration_ms", 12.5)
		attrs.PutInt("seq", first+int64(i))
		if s.body > 0 {
			rnd := rand.New(rand.NewPCG(uint64(first)+uint64(i), 9))
			attrs.PutStr("request_id", fmt.Sprintf("cap-%d", first+int64(i)))
			attrs.PutStr("http.request.body", string(letters(rnd, s.body)))
			attrs.PutStr("http.response.body", string(letters(rnd, s.body)))
		}
	}
	return plogotlp.NewExportRequestFromLogs(ld)
}

// send delivers one request of n records, retrying with backoff until it is
// accepted or ctx ends.
func (s *otlpSender) send(ctx context.Context, n int) error {
	req := s.request(n)
	backoff := 50 * time.Millisecond
	for {
		callCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := s.client.Export(callCtx, req)
		cancel()
		if err == nil {
			s.accepted.Add(int64(n))
			return nil
		}
		s.refusals.Add(1)
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// paced sends rate records per second in requests of batch records for d
// over workers concurrent streams, as a busy SDK exporter does, then
// returns. A refused request is retried before that worker's next one, so
// under back-pressure the sender falls behind its pace instead of piling up.
func (s *otlpSender) paced(ctx context.Context, rate, batch, workers int, d time.Duration) error {
	interval := time.Duration(float64(time.Second) * float64(batch*workers) / float64(rate))
	start := time.Now()
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			for next := start.Add(time.Duration(w) * interval / time.Duration(workers)); time.Since(start) < d; next = next.Add(interval) {
				if wait := time.Until(next); wait > 0 {
					time.Sleep(wait)
				}
				if err := s.send(ctx, batch); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	var err error
	for w := 0; w < workers; w++ {
		err = errors.Join(err, <-errs)
	}
	return err
}
