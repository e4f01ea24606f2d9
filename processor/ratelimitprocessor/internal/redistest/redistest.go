// Package redistest runs a real redis-server for tests: on a free 127.0.0.1
// port, with its files in a temporary folder, stopped in t.Cleanup. Without
// the binary the test is skipped, unless CI is set, in which case it fails:
// CI must exercise the shared-limit code.
package redistest // import "github.com/redline-otel/redline/processor/ratelimitprocessor/internal/redistest"

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is one redis-server process that can be stopped and started again
// on the same port.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	Addr string
	cmd  *exec.Cmd
	done chan struct{}
}

// Binary finds redis-server on PATH or in the Debian locations.
func Binary() (string, bool) {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p, true
	}
	for _, p := range []string{"/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server"} {
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	return "", false
}

// Start runs a fresh redis-server and registers its stop with t.Cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, ok := Binary()
	if !ok {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server not found on PATH or in /usr/bin, /usr/sbin: CI must install it (apt-get install -y redis-server)")
		}
		t.Skip("redis-server not installed; skipping (apt-get install -y redis-server)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("pick a free port: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	s := &Server{t: t, bin: bin, dir: t.TempDir(), Addr: addr}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// Restart starts the server again on the same port after Stop.
func (s *Server) Restart() {
	s.t.Helper()
	_, port, _ := net.SplitHostPort(s.Addr)
	s.cmd = exec.Command(s.bin,
		"--bind", "127.0.0.1",
		"--port", port,
		"--dir", s.dir,
		"--save", "",
		"--appendonly", "no",
		"--protected-mode", "no",
		"--daemonize", "no",
		"--logfile", filepath.Join(s.dir, "redis.log"),
	)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(s.cmd, s.done)

	client := redis.NewClient(&redis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer client.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := client.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			s.Stop()
			s.t.Fatalf("redis-server on %s did not answer: %v\n%s", s.Addr, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop ends the server and waits for it; it is safe to call twice.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
	default:
		_ = s.cmd.Process.Kill()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			s.t.Errorf("redis-server pid %s did not exit", strconv.Itoa(s.cmd.Process.Pid))
		}
	}
	s.cmd = nil
}
