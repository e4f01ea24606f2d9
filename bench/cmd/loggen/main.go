// Command loggen writes deterministic seeded JSONL access logs in the three
// seed shapes (see package loggen) to a file or stdout.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/redline-otel/redline/bench/loggen"
)

func main() {
	n := flag.Uint64("n", 1000, "number of lines")
	from := flag.Uint64("from", 0, "first line (seq) to write")
	seed := flag.Int64("seed", 1, "generator seed")
	out := flag.String("o", "-", "output file (- for stdout)")
	flag.Parse()
	if err := run(*out, *seed, *from, *n); err != nil {
		fmt.Fprintln(os.Stderr, "loggen:", err)
		os.Exit(1)
	}
}

func run(out string, seed int64, from, n uint64) error {
	var w io.Writer = os.Stdout
	if out != "-" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	_, err := loggen.New(seed).WriteRange(w, from, n)
	return err
}
