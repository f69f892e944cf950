package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
)

// salt prints a new salt in the upstream CLI's shape: 24 characters of base64 (used verbatim).
func salt(_ context.Context, args []string, _ env, stdout, stderr io.Writer) error {
	fs := newFlags("salt", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	fmt.Fprintln(stdout, base64.StdEncoding.EncodeToString(b[:]))
	return nil
}
