package main

import (
	"bytes"
	"os"
	"testing"
)

// TestCommandsPageIsFresh: docs/keel.md lists the commands keel has; a command added or renamed
// without make docs fails here.
func TestCommandsPageIsFresh(t *testing.T) {
	var want bytes.Buffer
	writeMarkdown(&want)
	have, err := os.ReadFile("../../docs/keel.md")
	if err != nil || !bytes.Equal(have, want.Bytes()) {
		t.Fatalf("docs/keel.md is stale: run make docs and commit it (%v)", err)
	}
}
