// Package dotenv parses env files: KEY=value lines, optional `export`, # comments, single
// quotes (literal), double quotes (escapes \n \t \" \\ \$, may span lines), unquoted values
// (trimmed). Two things that shells and other dotenv parsers resolve silently are errors here,
// because in a vault a silent guess becomes a wrong secret: a key given twice (last-one-wins
// hides mistakes), and whitespace then # inside an unquoted value (PASSWORD=abc #def would be
// cut to "abc" as a comment by some parsers and kept whole by others). Errors name the line and
// the fix, never the value.
package dotenv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

var keyRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

var errHashInUnquoted = errors.New(`an unquoted value contains whitespace followed by #, which is either a comment or part of the value: ` +
	`quote the value (KEY='value #with hash'), or move the comment to its own line`)

// Parse reads an env file; name is used in error messages.
func Parse(r io.Reader, name string) (map[string]string, error) {
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, strings.TrimSuffix(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := map[string]string{}
	seen := map[string]int{}
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimSpace(lines[i])
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, rest, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !keyRE.MatchString(key) {
			return nil, fmt.Errorf("%s:%d: want KEY=value with a key of letters, digits and _", name, lineNo)
		}
		if first, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s:%d: %s is already set on line %d: keep one", name, lineNo, key, first)
		}
		seen[key] = lineNo
		value, consumed, err := parseValue(rest, lines[i+1:])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %s: %v", name, lineNo, key, err)
		}
		i += consumed
		out[key] = value
	}
	return out, nil
}

// parseValue parses the text after "=" and returns the value and how many following lines a
// quoted value used.
func parseValue(raw string, next []string) (string, int, error) {
	v := strings.TrimLeft(raw, " \t")
	if v == "" {
		return "", 0, nil
	}
	switch q := v[0]; q {
	case '\'', '"':
		text := v[1:]
		for consumed := 0; ; consumed++ {
			if end := closingQuote(text, q); end >= 0 {
				if trailing := strings.TrimSpace(text[end+1:]); trailing != "" && !strings.HasPrefix(trailing, "#") {
					return "", 0, fmt.Errorf("text after the closing quote")
				}
				body := text[:end]
				if q == '"' {
					body = unescape(body)
				}
				return body, consumed, nil
			}
			if consumed == len(next) {
				return "", 0, fmt.Errorf("the %c quote is never closed", q)
			}
			text += "\n" + next[consumed]
		}
	}
	if strings.Contains(raw, " #") || strings.Contains(raw, "\t#") {
		return "", 0, errHashInUnquoted
	}
	return strings.TrimSpace(v), 0, nil
}

// closingQuote finds the closing quote, skipping backslash escapes inside double quotes.
func closingQuote(s string, q byte) int {
	for i := 0; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q:
			return i
		}
	}
	return -1
}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		default: // \" \\ \$ and anything else: the character itself
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
