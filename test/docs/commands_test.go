package docs

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keelstack/keel/test/internal/testenv"
)

// documented is one command a page tells the reader to run.
type documented struct {
	page, cmd string
}

// shellLangs are the fenced blocks that hold commands to type.
var shellLangs = []string{"sh", "bash", "shell"}

// commandPrefixes start the inline code spans that are commands (the rest are names).
var commandPrefixes = []string{"make ", "aws ", "scripts/", "bin/vault ", "bin/keel ", "keel ", "node_modules/.bin/cdk ", "go run ", "go build "}

// placeholders stand for what the reader fills in; the dry runs use a real value.
var placeholders = strings.NewReplacer("STAGE=x", "STAGE=dev", "STAGE=<stage>", "STAGE=dev", "<stage>", "dev",
	"<login>", "alice", " STAGE ", " dev ", " COMMAND ", " status ", "<base branch>", "main", "ENV_FILE=f", "ENV_FILE=.env.dev", " ... ", " ")

// optional matches [X=a|b] in a synopsis: the dry run takes the first choice.
var optional = regexp.MustCompile(`\[([A-Z_]+=)?([^|\]]*)[^\]]*\]`)

func documentedCommands(t *testing.T) (cmds []documented, functions []string) {
	for _, p := range pages(t) {
		for _, b := range p.blocks {
			if !slices.Contains(shellLangs, b.lang) {
				continue
			}
			for _, c := range commandsOf(b.body) {
				if w := words(c); len(w) > 0 && strings.HasSuffix(w[0], "()") {
					functions = append(functions, strings.TrimSuffix(w[0], "()"))
				}
				cmds = append(cmds, documented{p.path, c})
			}
		}
		for _, span := range p.inline() {
			for _, prefix := range commandPrefixes {
				if strings.HasPrefix(span, prefix) && len(strings.Fields(span)) > 1 {
					span = optional.ReplaceAllString(placeholders.Replace(span), "$1$2")
					for _, c := range commandsOf(span) {
						cmds = append(cmds, documented{p.path, c})
					}
				}
			}
		}
	}
	return cmds, functions
}

// plumbing are shell built-ins and utilities that need no dry run: the block's syntax is
// checked by bash -n, and what they do is local.
var plumbing = []string{"umask", "mkdir", "cd", "export", "read", "printf", "cut", "rm", "mv", "unset", "sleep",
	"echo", "cat", "true", "curl", "local", "while", "until", "do", "done", "if", "then", "fi", "for", "[", "{", "}", "head",
	"jq", "psql", "pg_dump", "pg_restore"}

// TestDocumentedCommands runs or dry-runs every command README.md and docs/ show: make targets
// with make -n, AWS CLI calls against the CLI's own service models, the vault and cdk commands
// against their help, scripts against their flags. A command it cannot check fails the test.
func TestDocumentedCommands(t *testing.T) {
	root := testenv.RepoRoot(t)
	cmds, functions := documentedCommands(t)
	if len(cmds) < 50 {
		t.Fatalf("found only %d documented commands: the extraction is broken", len(cmds))
	}
	c := newCheckers(t, root)
	seen := map[string]bool{}
	for _, d := range cmds {
		w := words(d.cmd)
		for len(w) > 0 && strings.Contains(w[0], "=") && !strings.HasPrefix(w[0], "-") {
			w = w[1:] // VAR=value before the command
		}
		if len(w) == 0 || seen[strings.Join(w, " ")] {
			continue
		}
		seen[strings.Join(w, " ")] = true
		var err error
		switch name := w[0]; {
		case name == "make":
			err = c.make(w[1:])
		case name == "aws":
			err = c.aws(w[1:])
		case name == "bin/vault":
			err = c.vault(w[1:])
		case name == "bin/keel" || name == "keel":
			err = c.keel(w[1:])
		case name == "go":
			err = c.goCommand(w[1:])
		case name == "node_modules/.bin/cdk":
			err = c.cdk(w[1:])
		case strings.HasPrefix(name, "scripts/"):
			err = c.script(name, w[1:])
		case slices.Contains(plumbing, name) || slices.Contains(functions, strings.TrimSuffix(name, "()")):
		default:
			t.Errorf("%s: %q: test/docs does not know how to run or dry-run %s; teach it (commands_test.go)", d.page, d.cmd, name)
			continue
		}
		if err != nil {
			t.Errorf("%s: %q: %v", d.page, d.cmd, err)
		}
	}
}

// TestBlocksParse: every shell block is valid bash.
func TestBlocksParse(t *testing.T) {
	for _, p := range pages(t) {
		for _, b := range p.blocks {
			if !slices.Contains(shellLangs, b.lang) {
				continue
			}
			cmd := exec.Command("bash", "-n")
			cmd.Stdin = strings.NewReader(b.body)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s: a shell block does not parse: %v\n%s\n%s", p.path, err, out, b.body)
			}
		}
	}
}

// TestUnknownCommandFails: the runner refuses what it cannot check, and catches a wrong one.
func TestUnknownCommandFails(t *testing.T) {
	c := newCheckers(t, testenv.RepoRoot(t))
	for _, bad := range [][]string{
		{"make", "no-such-target"},
		{"aws", "ecs", "list-service-deployment", "--service", "x"},
		{"aws", "ecs", "list-service-deployments", "--no-such-option", "x"},
		{"aws", "ecs", "wait", "services-settled"},
		{"bin/vault", "push", "--no-such-flag"},
		{"keel", "no-such-command"},
		{"keel", "status", "dev", "--no-such-flag"},
	} {
		var err error
		switch bad[0] {
		case "make":
			err = c.make(bad[1:])
		case "aws":
			err = c.aws(bad[1:])
		case "bin/vault":
			err = c.vault(bad[1:])
		case "keel":
			err = c.keel(bad[1:])
		}
		if err == nil {
			t.Errorf("%q passed", bad)
		}
	}
}

type checkers struct {
	t        *testing.T
	root     string
	vaultBin string
	keelBin  string
	models   *awsModels
	cdkHelp  map[string]string
}

func newCheckers(t *testing.T, root string) *checkers {
	return &checkers{t: t, root: root, cdkHelp: map[string]string{}}
}

func (c *checkers) run(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = c.root
	cmd.Env = offline()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// offline is the environment without AWS credentials or CDK CLI options.
func offline() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "CDK_") {
			env = append(env, kv)
		}
	}
	return append(env, "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent")
}

// make dry-runs a target: make -n prints the recipe without running it, and MAKE=true keeps
// the recipe's recursive $(MAKE) lines, which -n would run, from doing anything.
func (c *checkers) make(args []string) error {
	out, err := c.run("make", append([]string{"-n", "MAKE=true"}, args...)...)
	if err != nil {
		return errorf("make -n: %v\n%s", err, out)
	}
	return nil
}

// vault checks the subcommand exists and takes every flag given.
func (c *checkers) vault(args []string) error {
	if c.vaultBin == "" {
		c.vaultBin = filepath.Join(c.t.TempDir(), "vault")
		if out, err := c.run("go", "build", "-o", c.vaultBin, "./app/cmd/vault"); err != nil {
			c.t.Fatalf("go build ./app/cmd/vault: %v\n%s", err, out)
		}
	}
	if len(args) == 0 {
		return errorf("no vault subcommand")
	}
	help, _ := c.run(c.vaultBin, args[0], "-h")
	return flagsIn(args[1:], help, "vault "+args[0]+" -h")
}

// keel checks the command exists and takes every flag given.
func (c *checkers) keel(args []string) error {
	if c.keelBin == "" {
		c.keelBin = filepath.Join(c.t.TempDir(), "keel")
		if out, err := c.run("go", "build", "-o", c.keelBin, "./cmd/keel"); err != nil {
			c.t.Fatalf("go build ./cmd/keel: %v\n%s", err, out)
		}
	}
	if len(args) == 0 || args[0] == "help" {
		return nil
	}
	help, err := c.run(c.keelBin, args[0], "-h")
	if err != nil {
		return errorf("keel %s -h: %v\n%s", args[0], err, help)
	}
	return flagsIn(args[1:], help, "keel "+args[0]+" -h")
}

func (c *checkers) goCommand(args []string) error {
	if len(args) < 2 || (args[0] != "run" && args[0] != "build") {
		return errorf("only go run and go build are documented")
	}
	var pkg string
	for i := 1; i < len(args); i++ {
		if args[i] == "-o" {
			i++
			continue
		}
		if strings.HasPrefix(args[i], "./") {
			pkg = args[i]
			if args[0] == "run" && pkg == "./app/cmd/vault" && i+1 < len(args) {
				return c.vault(args[i+1:])
			}
			if args[0] == "run" {
				help, _ := c.run("go", "run", pkg, "-h")
				return flagsIn(args[i+1:], help, "go run "+pkg+" -h")
			}
			break
		}
	}
	if _, err := os.Stat(filepath.Join(c.root, pkg, "main.go")); pkg == "" || err != nil {
		return errorf("no command package %q", pkg)
	}
	return nil
}

func (c *checkers) cdk(args []string) error {
	testenv.Tool(c.t, "node_modules/.bin/cdk", "scripts/install-tools cdk")
	if len(args) == 0 {
		return errorf("no cdk subcommand")
	}
	help, ok := c.cdkHelp[args[0]]
	if !ok {
		var err error
		if help, err = c.run("node_modules/.bin/cdk", args[0], "--help"); err != nil {
			return errorf("cdk %s --help: %v\n%s", args[0], err, help)
		}
		c.cdkHelp[args[0]] = help
	}
	return flagsIn(args[1:], help, "cdk "+args[0]+" --help")
}

// script checks the script exists, runs, and knows every flag given.
func (c *checkers) script(path string, args []string) error {
	info, err := os.Stat(filepath.Join(c.root, path))
	if err != nil || info.Mode()&0o111 == 0 {
		return errorf("%s is not an executable script", path)
	}
	src, _ := os.ReadFile(filepath.Join(c.root, path))
	return flagsIn(args, string(src), path)
}

// flagsIn requires each -flag or --flag of args to appear in text (a help or a script).
func flagsIn(args []string, text, where string) error {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" || a == "-h" || a == "--help" {
			continue
		}
		name, _, _ := strings.Cut(a, "=")
		bare := strings.TrimLeft(name, "-")
		if !strings.Contains(text, "-"+bare) {
			return errorf("%s does not list %s", where, name)
		}
	}
	return nil
}
