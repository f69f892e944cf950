package review

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFenced: template text with backtick runs cannot close the fence around it.
func TestFenced(t *testing.T) {
	for _, text := range []string{"plain", "a ``` b", "````` and ``", "`"} {
		got := fenced(text)
		fence := got[:strings.Index(got, "\n")]
		if len(fence) < 3 || strings.Contains(text, fence) {
			t.Errorf("fenced(%q) opens with %q, which the text contains", text, fence)
		}
		if !strings.HasSuffix(got, "\n"+fence+"\n") {
			t.Errorf("fenced(%q) = %q: not closed by its own fence", text, got)
		}
	}
}

// TestBudget: a review too large for a comment is cut to the budget, the diffs first, and
// says where the whole review is; the full review keeps everything.
func TestBudget(t *testing.T) {
	huge := strings.Repeat("[~] AWS::EC2::Subnet tag keel:owner\n", 1500) // 54 kB per stack
	r := Report{Base: "a", Head: "b", FullURL: "https://github.com/keelstack/keel/actions/runs/1"}
	for _, stage := range []string{"dev", "staging", "prod"} {
		s := Stage{Name: stage}
		for _, stack := range []string{"Service", "Foundation", "GitHub", "Bootstrap"} {
			s.Stacks = append(s.Stacks, Stack{Name: stage + "/" + stack, Diff: huge, Guard: "diff-guard: no stateful or identity-carrying resource is replaced or destroyed"})
		}
		r.Stages = append(r.Stages, s)
	}
	var comment, full strings.Builder
	if err := r.WriteMarkdown(&comment); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteFull(&full); err != nil {
		t.Fatal(err)
	}
	if comment.Len() > Budget {
		t.Errorf("the comment is %d bytes, over the budget of %d", comment.Len(), Budget)
	}
	for _, want := range []string{"### prod", "Guard on `prod/Bootstrap`: passes", "cut to fit the comment: the full review is the artifact `review` of https://github.com/keelstack/keel/actions/runs/1"} {
		if !strings.Contains(comment.String(), want) {
			t.Errorf("the cut comment lacks %q", want)
		}
	}
	if strings.Count(full.String(), huge) != 12 {
		t.Errorf("the full review does not hold every diff whole")
	}
}

// TestFailure: a revision that does not synthesize gets a comment that says which, quotes the
// end of its error and calls earlier figures stale.
func TestFailure(t *testing.T) {
	log := filepath.Join(t.TempDir(), "synth.log")
	if err := os.WriteFile(log, []byte(strings.Repeat("noise\n", 5000)+"keel:prod.scaling.minTasks = 0: at least 1 task must run"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := NewFailure(Pricing{}, filepath.Join(t.TempDir(), "none.out"), log, "")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := f.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"**The base does not synthesize**", "**stale**", "keel:prod.scaling.minTasks = 0", "the start is cut"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the failure comment lacks %q:\n%s", want, b.String())
		}
	}
	if b.Len() > Budget {
		t.Errorf("the failure comment is %d bytes, over the budget", b.Len())
	}
}
