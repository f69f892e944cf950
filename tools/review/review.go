// Package review compares two synthesized cloud assemblies stage by stage, offline: the CDK's
// own diff of every stack, the replacement guard's verdict on it, and what the change costs
// line by line. It is what a pull request's review comment says, for forks too, since it
// needs no AWS credentials.
package review

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/keelstack/keel/tools/cost"
)

// Report is the review of one change.
type Report struct {
	Base, Head string // labels of the two revisions
	Stages     []Stage
	// FullURL is where the uncut review is kept (the CI run whose artifact it is); "" locally.
	FullURL string
	// Borrowed are the prices the base's table lacked, taken from the head's.
	Borrowed []string
}

// Stage is one stage's part of the review.
type Stage struct {
	Name   string
	Stacks []Stack
	Before cost.Estimate
	After  cost.Estimate
	Cost   []cost.Change
	// Errors are the head's synthesis errors (cdk-nag findings among them), on which make
	// synth fails.
	Errors []string
}

// Stack is one stack's template diff and guard verdict.
type Stack struct {
	Name string
	// Diff is the CDK's diff of the two templates ("no differences" when equal).
	Diff string
	// Guard is the replacement guard's verdict; Blocked when it found a stateful or
	// identity-carrying resource replaced or destroyed and the change is not allowed to.
	Guard   string
	Blocked bool
	// Replaced lists what the guard found replaced or destroyed (let through when Blocked is
	// false: the allow-replacement label).
	Replaced []string
	// Security is the stack's IAM, security-group and listener changes.
	Security Security
}

// Blocked reports whether any stack's guard blocks the change: a replacement not allowed, or
// a broadening not acknowledged.
func (r Report) Blocked() bool {
	return r.replacementBlocked() || r.securityBlocked() || slices.ContainsFunc(r.Stages, func(s Stage) bool { return len(s.Errors) > 0 })
}

func (r Report) replacementBlocked() bool {
	return r.any(func(st Stack) bool { return st.Blocked })
}

func (r Report) securityBlocked() bool {
	return r.any(func(st Stack) bool { return st.Security.Unacknowledged() > 0 })
}

func (r Report) any(f func(Stack) bool) bool {
	for _, s := range r.Stages {
		if slices.ContainsFunc(s.Stacks, f) {
			return true
		}
	}
	return false
}

// Inputs are what a review needs besides the two assemblies.
type Inputs struct {
	// Scripts is the directory of template-diff.mjs and diff-guard.mjs (the repository's
	// scripts/, with node_modules beside it).
	Scripts string
	// Base and Head price each side with its own revision's price table and usage file, so a
	// change to those files shows its effect.
	Base, Head Pricing
	// AllowReplacement is the pull request's allow-replacement label.
	AllowReplacement bool
	// Acks let security broadenings through.
	Acks Acknowledgements

	empty string // an empty template: the side of a stack that does not exist
}

// Pricing is one revision's price table and usage assumptions.
type Pricing struct {
	Prices      cost.Prices
	Assumptions cost.Assumptions
	// Borrowed are the prices the revision's table lacked, taken from the head's.
	Borrowed []string
}

// Compare reviews the change from the assembly in base to the one in head.
func Compare(ctx context.Context, in Inputs, base, head string) (Report, error) {
	empty, err := emptyTemplate()
	if err != nil {
		return Report{}, err
	}
	defer os.Remove(empty)
	in.empty = empty
	before, err := cost.ReadAssembly(base)
	if err != nil {
		return Report{}, fmt.Errorf("review: base: %w", err)
	}
	after, err := cost.ReadAssembly(head)
	if err != nil {
		return Report{}, fmt.Errorf("review: head: %w", err)
	}
	errs, err := synthErrors(head)
	if err != nil {
		return Report{}, err
	}
	r := Report{Borrowed: in.Base.Borrowed}
	for _, name := range stageNames(before, after) {
		s, err := in.stage(ctx, name, find(before, name), find(after, name))
		if err != nil {
			return Report{}, err
		}
		s.Errors = errs[name]
		r.Stages = append(r.Stages, s)
	}
	return r, nil
}

func (in Inputs) stage(ctx context.Context, name string, before, after cost.Stage) (Stage, error) {
	s := Stage{Name: name}
	for _, stack := range stackNames(before, after) {
		st, err := in.stack(ctx, stack, fileOf(before, stack), fileOf(after, stack))
		if err != nil {
			return Stage{}, err
		}
		s.Stacks = append(s.Stacks, st)
	}
	var err error
	if s.Before, err = in.Base.estimate(before, name); err != nil {
		return Stage{}, fmt.Errorf("review: base: %w", err)
	}
	if s.After, err = in.Head.estimate(after, name); err != nil {
		return Stage{}, fmt.Errorf("review: head: %w", err)
	}
	s.Cost = cost.Compare(s.Before, s.After)
	return s, nil
}

// estimate prices a stage; a stage missing on one side costs nothing there.
func (p Pricing) estimate(s cost.Stage, name string) (cost.Estimate, error) {
	if len(s.Stacks) == 0 {
		return cost.Estimate{Stage: name}, nil
	}
	u, err := p.Assumptions.For(name)
	if err != nil {
		return cost.Estimate{}, err
	}
	return cost.Of(s, u, p.Prices)
}

// stack runs the CDK's diff and the guard on two template files ("" when the stack is new or
// gone).
func (in Inputs) stack(ctx context.Context, name, before, after string) (Stack, error) {
	before, after = cmp.Or(before, in.empty), cmp.Or(after, in.empty)
	diff, err := in.node(ctx, nil, "template-diff.mjs", before, after)
	if err != nil {
		return Stack{}, fmt.Errorf("review: diff of %s: %w", name, err)
	}
	env := []string{"ALLOW_REPLACEMENT=false"}
	if in.AllowReplacement {
		env = []string{"ALLOW_REPLACEMENT=true"}
	}
	guard, err := in.node(ctx, env, "diff-guard.mjs", before, after)
	blocked := false
	if exit := (*exec.ExitError)(nil); errors.As(err, &exit) && exit.ExitCode() == 1 && strings.Contains(guard, "would be replaced or destroyed") {
		blocked, err = true, nil
	}
	if err != nil {
		return Stack{}, fmt.Errorf("review: guard of %s: %w", name, err)
	}
	sec, err := in.security(name, before, after)
	if err != nil {
		return Stack{}, err
	}
	return Stack{Name: name, Diff: diff, Guard: guard, Blocked: blocked, Replaced: guardFindings(guard), Security: sec}, nil
}

// security compares the IAM, security-group and listener parts of a stack's two templates.
func (in Inputs) security(name, before, after string) (Security, error) {
	base, err := readTemplate(before)
	if err != nil {
		return Security{}, fmt.Errorf("review: %s: %w", name, err)
	}
	head, err := readTemplate(after)
	if err != nil {
		return Security{}, fmt.Errorf("review: %s: %w", name, err)
	}
	s := compareSecurity(name, base, head)
	in.Acks.apply(&s)
	return s, nil
}

// guardFindings are the "  - ID (type): impact" lines of diff-guard.mjs's output.
func guardFindings(out string) []string {
	var found []string
	for _, line := range strings.Split(out, "\n") {
		if f, ok := strings.CutPrefix(line, "  - "); ok {
			found = append(found, f)
		}
	}
	return found
}

// node runs one of the repository's node scripts and returns its output.
func (in Inputs) node(ctx context.Context, env []string, script string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(in.Scripts, script)}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var out, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err := cmd.Run()
	if err != nil && stderr.Len() > 0 {
		err = fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(out.String()), err
}

// emptyTemplate is the side of a stack that does not exist.
func emptyTemplate() (string, error) {
	f, err := os.CreateTemp("", "keel-review-empty-*.json")
	if err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

func stageNames(a, b []cost.Stage) []string {
	var names []string
	for _, s := range append(slices.Clone(a), b...) {
		if !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	order := map[string]int{"dev": 0, "staging": 1, "prod": 2}
	slices.SortStableFunc(names, func(x, y string) int { return rank(order, x) - rank(order, y) })
	return names
}

// rank puts the known stages in deploy order and any other after them.
func rank(order map[string]int, name string) int {
	if r, ok := order[name]; ok {
		return r
	}
	return len(order)
}

func find(stages []cost.Stage, name string) cost.Stage {
	for _, s := range stages {
		if s.Name == name {
			return s
		}
	}
	return cost.Stage{Name: name}
}

func stackNames(a, b cost.Stage) []string {
	var names []string
	for _, st := range append(slices.Clone(a.Stacks), b.Stacks...) {
		if !slices.Contains(names, st.Name) {
			names = append(names, st.Name)
		}
	}
	slices.Sort(names)
	return names
}

func fileOf(s cost.Stage, stack string) string {
	for _, st := range s.Stacks {
		if st.Name == stack {
			return st.File
		}
	}
	return ""
}
