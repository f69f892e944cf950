package review

import (
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
