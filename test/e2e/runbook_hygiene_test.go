package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
)

// secretOnCommandLine finds, in shell examples, what puts a secret where shell history and
// process listings see it, or into a file others may read.
var secretOnCommandLine = []struct {
	re   *regexp.Regexp
	what string
}{
	{regexp.MustCompile(`--secret-string\s+[^f\s]|--secret-string\s+f[^i]`), "--secret-string with a value: use file://FILE"},
	{regexp.MustCompile(`\b[A-Z_]*(PASSPHRASE|SECRET_ACCESS_KEY|SECRET_KEY|TOKEN)=`), "a secret set on the command line: use the _FILE variable"},
	{regexp.MustCompile(`>\s*token\.txt|>\s*\S*passphrase\b`), "a secret file written by redirection outside umask 077: use vault token --out"},
}

// TestRunbooksKeepSecretsOffCommandLines checks every shell example of the runbooks and the
// README: no secret in an argument or an inline assignment, token files written by vault token
// --out (0600 itself), passphrase files only after umask 077.
func TestRunbooksKeepSecretsOffCommandLines(t *testing.T) {
	root := testenv.RepoRoot(t)
	for _, doc := range []string{"docs/runbooks.md", "docs/database.md", "README.md"} {
		b, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range hygieneProblems(string(b)) {
			t.Errorf("%s: %s", doc, p)
		}
	}
	// The check itself finds what the runbook used to say.
	old := "```sh\nVAULT_READER_SECRET_ACCESS_KEY=... bin/vault token --access-key-id AKIA... > token.txt\n" +
		"aws secretsmanager create-secret --name keel/prod/vsync-passphrase --secret-string \"$VAULT_PASSPHRASE\"\n```\n"
	if got := len(hygieneProblems(old)); got != 3 {
		t.Errorf("the check finds %d problems in the old runbook's lines, want 3", got)
	}
}

// hygieneProblems lists the offending lines of the shell blocks of a markdown text. A
// passphrase file may be written by redirection after umask 077 in the same document.
func hygieneProblems(md string) []string {
	var problems []string
	inShell, umask := false, strings.Contains(md, "umask 077")
	for i, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			inShell = !inShell && strings.HasPrefix(trimmed, "```sh")
			continue
		}
		if !inShell {
			continue
		}
		for _, rule := range secretOnCommandLine {
			if !rule.re.MatchString(line) || (umask && strings.Contains(rule.what, "umask") && !strings.Contains(line, "token.txt")) {
				continue
			}
			problems = append(problems, "line "+strconv.Itoa(i+1)+": "+rule.what+": "+trimmed)
		}
	}
	return problems
}
