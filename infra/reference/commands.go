package reference

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var (
	// target: prerequisites ## what it does
	targetLine = regexp.MustCompile(`^([a-z][a-z0-9-]*):[^=]*?## (.+)$`)
	// ##@ Group name, the heading make help prints above the targets that follow it.
	groupLine = regexp.MustCompile(`^##@ (.+)$`)
)

// commandsPage lists every documented make target, in the Makefile's order and groups.
func commandsPage(root string) ([]byte, error) {
	f, err := os.Open(filepath.Join(root, "Makefile"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var b bytes.Buffer
	b.WriteString("# Commands\n\nEvery `make` target, from the Makefile's own `##` descriptions (what `make help` prints).\n" +
		"Targets that talk to AWS stop at once, naming what is missing, without credentials.\n")
	open := false
	table := func() {
		if !open {
			b.WriteString("\n| target | what |\n| --- | --- |\n")
			open = true
		}
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := groupLine.FindStringSubmatch(line); m != nil {
			fmt.Fprintf(&b, "\n## %s\n", m[1])
			open = false
			continue
		}
		if m := targetLine.FindStringSubmatch(line); m != nil {
			table()
			fmt.Fprintf(&b, "| `make %s` | %s |\n", m[1], strings.ReplaceAll(m[2], "|", `\|`))
		}
	}
	return b.Bytes(), sc.Err()
}
