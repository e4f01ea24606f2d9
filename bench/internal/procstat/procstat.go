// Package procstat reads a process's CPU time and memory from Linux /proc, so
// the bench measures a collector from the outside, the same way for redline
// and the reference.
package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of utime/stime in /proc. It is
// 100 on every Linux architecture Go supports (sysconf(_SC_CLK_TCK) needs cgo).
const clockTicks = 100

// Sample is one reading of a process.
type Sample struct {
	// CPU is user + system time of all the process's threads.
	CPU time.Duration
	// RSS is the resident set size now, PeakRSS its high-water mark (VmHWM).
	RSS, PeakRSS int64
	// RSSFile is the part of RSS that maps files (mostly the binary's own
	// pages), the rest being anonymous memory (heap, stacks).
	RSSFile int64
}

// Read samples process pid.
func Read(pid int) (Sample, error) {
	var s Sample
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	if s.CPU, err = parseStatCPU(stat); err != nil {
		return s, err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	s.RSS, s.PeakRSS, s.RSSFile, err = parseStatusMemory(status)
	return s, err
}

// parseStatCPU returns utime+stime from /proc/<pid>/stat. The command name
// (field 2) may hold spaces and parentheses, so fields are counted from the
// last ')'.
func parseStatCPU(stat []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, errors.New("procstat: malformed stat: no ')'")
	}
	fields := bytes.Fields(stat[end+1:])
	// fields[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("procstat: malformed stat: %d fields after the command", len(fields))
	}
	utime, err := strconv.ParseInt(string(fields[11]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("procstat: utime: %w", err)
	}
	stime, err := strconv.ParseInt(string(fields[12]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("procstat: stime: %w", err)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// parseStatusMemory returns VmRSS, VmHWM and RssFile (in bytes) from
// /proc/<pid>/status.
func parseStatusMemory(status []byte) (rss, hwm, file int64, err error) {
	var foundRSS, foundHWM bool
	for line := range bytes.SplitSeq(status, []byte{'\n'}) {
		var dst *int64
		switch {
		case bytes.HasPrefix(line, []byte("VmRSS:")):
			dst, foundRSS = &rss, true
		case bytes.HasPrefix(line, []byte("VmHWM:")):
			dst, foundHWM = &hwm, true
		case bytes.HasPrefix(line, []byte("RssFile:")):
			dst = &file
		default:
			continue
		}
		f := bytes.Fields(line)
		if len(f) != 3 || string(f[2]) != "kB" {
			return 0, 0, 0, fmt.Errorf("procstat: unexpected status line %q", line)
		}
		kb, err := strconv.ParseInt(string(f[1]), 10, 64)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("procstat: %q: %w", line, err)
		}
		*dst = kb * 1024
	}
	if !foundRSS || !foundHWM {
		return 0, 0, 0, errors.New("procstat: no VmRSS/VmHWM in status (a kernel thread or a zombie?)")
	}
	return rss, hwm, file, nil
}
