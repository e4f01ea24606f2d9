package ratelimitprocessor // import "github.com/redline-otel/redline/processor/ratelimitprocessor"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The byte unit charges a record for an estimate of its OTLP encoding: the
// lengths of its strings and bytes plus a fixed amount per field, close to
// the protobuf size without marshalling anything. pdata only sizes whole
// requests, and marshalling each record would cost more than the limit saves.
const (
	fieldOverhead   = 2  // tag and length of a nested field
	scalarSize      = 9  // tag and fixed 64-bit value
	logRecordFixed  = 40 // timestamps, severity, flags, ids
	spanFixed       = 64 // ids, timestamps, kind, status
	dataPointFixed  = 24 // timestamps and value
	histogramBucket = 9
)

func valueSize(v pcommon.Value) int64 {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return fieldOverhead + int64(len(v.Str()))
	case pcommon.ValueTypeBytes:
		return fieldOverhead + int64(v.Bytes().Len())
	case pcommon.ValueTypeMap:
		return fieldOverhead + mapSize(v.Map())
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		n := int64(fieldOverhead)
		for i := range s.Len() {
			n += valueSize(s.At(i))
		}
		return n
	case pcommon.ValueTypeEmpty:
		return fieldOverhead
	default:
		return scalarSize
	}
}

func mapSize(m pcommon.Map) int64 {
	var n int64
	for k, v := range m.All() {
		n += 2*fieldOverhead + int64(len(k)) + valueSize(v)
	}
	return n
}

func logRecordSize(lr plog.LogRecord) int64 {
	return logRecordFixed + int64(len(lr.SeverityText())+len(lr.EventName())) + valueSize(lr.Body()) + mapSize(lr.Attributes())
}

func spanSize(sp ptrace.Span) int64 {
	n := spanFixed + int64(len(sp.Name())+len(sp.TraceState().AsRaw())+len(sp.Status().Message())) + mapSize(sp.Attributes())
	for i := range sp.Events().Len() {
		ev := sp.Events().At(i)
		n += scalarSize + fieldOverhead + int64(len(ev.Name())) + mapSize(ev.Attributes())
	}
	for i := range sp.Links().Len() {
		l := sp.Links().At(i)
		n += 2*scalarSize + 24 + int64(len(l.TraceState().AsRaw())) + mapSize(l.Attributes())
	}
	return n
}

func numberPointSize(dp pmetric.NumberDataPoint) int64 {
	return dataPointFixed + mapSize(dp.Attributes())
}

func histogramPointSize(dp pmetric.HistogramDataPoint) int64 {
	return dataPointFixed + 3*scalarSize + int64(dp.BucketCounts().Len()+dp.ExplicitBounds().Len())*histogramBucket + mapSize(dp.Attributes())
}

func expHistogramPointSize(dp pmetric.ExponentialHistogramDataPoint) int64 {
	return dataPointFixed + 5*scalarSize + int64(dp.Positive().BucketCounts().Len()+dp.Negative().BucketCounts().Len())*histogramBucket + mapSize(dp.Attributes())
}

func summaryPointSize(dp pmetric.SummaryDataPoint) int64 {
	return dataPointFixed + 2*scalarSize + int64(dp.QuantileValues().Len())*2*scalarSize + mapSize(dp.Attributes())
}
