package dotenv

import (
	"maps"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	in := `# comment
export DATABASE_URL=postgres://u:p@db/app
PLAIN = spaced value
QUOTED_HASH='abc #def' # a comment after a quoted value
HASH=a#b
EMPTY=
SINGLE='literal $HOME \n # not a comment'
DOUBLE="line1\nline2\t\"quoted\" \\ \$"
MULTI="-----BEGIN KEY-----
abc
-----END KEY-----"
SQ_MULTI='a
b'
`
	got, err := Parse(strings.NewReader(in), ".env")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"DATABASE_URL": "postgres://u:p@db/app",
		"PLAIN":        "spaced value",
		"QUOTED_HASH":  "abc #def",
		"HASH":         "a#b",
		"EMPTY":        "",
		"SINGLE":       `literal $HOME \n # not a comment`,
		"DOUBLE":       "line1\nline2\t\"quoted\" \\ $",
		"MULTI":        "-----BEGIN KEY-----\nabc\n-----END KEY-----",
		"SQ_MULTI":     "a\nb",
	}
	if !maps.Equal(got, want) {
		for k := range want {
			if got[k] != want[k] {
				t.Errorf("%s = %q, want %q", k, got[k], want[k])
			}
		}
		t.Fatalf("got %d keys, want %d", len(got), len(want))
	}
}

func TestParseErrors(t *testing.T) {
	for in, want := range map[string]string{
		"A=1\nB=2\nA=3":              ".env:3: A is already set on line 1",
		"NOEQUALS":                   ".env:1: want KEY=value",
		"1BAD=x":                     ".env:1: want KEY=value",
		"A=\"s3cr3t-unclosed\nB=2":   ".env:1: A: the \" quote is never closed",
		"A='s3cr3t' trailing":        ".env:1: A: text after the closing quote",
		"OK=1\n\nexport  =nokey":     ".env:3: want KEY=value",
		"OK=1\nPASSWORD=s3cr3t #def": ".env:2: PASSWORD: an unquoted value contains whitespace followed by #",
		"PASSWORD=s3cr3t\t#def":      ".env:1: PASSWORD: an unquoted value contains whitespace followed by #",
		"PASSWORD= #s3cr3t":          ".env:1: PASSWORD: an unquoted value contains whitespace followed by #",
	} {
		_, err := Parse(strings.NewReader(in), ".env")
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
		if strings.Contains(want, "followed by #") && (err == nil || !strings.Contains(err.Error(), "quote the value")) {
			t.Errorf("%q: error %v does not say how to fix it", in, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error quotes a value: %v", err)
		}
	}
}
