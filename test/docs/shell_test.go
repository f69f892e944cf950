package docs

import "strings"

// A small reader of the shell the docs show: enough to find each simple command, including
// those inside $(...), and its words. bash -n checks the blocks' syntax itself.

// commandsOf splits a script into its simple commands, in order, with those inside command
// substitutions after the command that holds them. Comments and line continuations go first.
func commandsOf(script string) []string {
	script = strings.ReplaceAll(stripComments(script), "\\\n", " ")
	var out []string
	for _, cmd := range split(script) {
		cmd = strings.TrimSpace(cmd)
		if cmd == "" {
			continue
		}
		out = append(out, cmd)
		for _, inner := range substitutions(cmd) {
			out = append(out, commandsOf(inner)...)
		}
	}
	return out
}

// scan walks s outside quotes and command substitutions, calling at(i) at each top-level byte.
func scan(s string, at func(i int) bool) {
	var quote byte
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
			continue
		case c == '\\' && quote != '\'':
			i++
			continue
		case quote == '"' && c == '"' && depth == 0:
			quote = 0
			continue
		case c == '$' && i+1 < len(s) && s[i+1] == '(':
			depth++
			i++
			continue
		case c == ')' && depth > 0:
			depth--
			continue
		case (c == '"' || c == '\'') && quote == 0 && depth == 0:
			quote = c
			continue
		}
		if quote == 0 && depth == 0 && !at(i) {
			return
		}
	}
}

// stripComments drops each # that starts a word outside quotes, to the end of its line.
func stripComments(script string) string {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(script) {
				b.WriteByte(c)
				i++
				c = script[i]
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '\\' && i+1 < len(script):
			b.WriteByte(c)
			i++
			c = script[i]
		case c == '#' && (i == 0 || strings.IndexByte(" \t\n", script[i-1]) >= 0):
			for i < len(script) && script[i] != '\n' {
				i++
			}
			if i < len(script) {
				b.WriteByte('\n')
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// split cuts a script at newlines, ;, &&, || and | outside quotes and substitutions.
func split(script string) []string {
	var parts []string
	start, skip := 0, -1
	scan(script, func(i int) bool {
		if i <= skip {
			return true
		}
		switch c := script[i]; {
		case c == '\n' || c == ';' || c == '|' || c == '&' && i+1 < len(script) && script[i+1] == '&':
			parts = append(parts, script[start:i])
			start = i + 1
			if c != '\n' && i+1 < len(script) && (script[i+1] == '&' || script[i+1] == '|') {
				start, skip = i+2, i+1
			}
		}
		return true
	})
	return append(parts, script[start:])
}

// substitutions lists the scripts inside $(...) at the top level of cmd.
func substitutions(cmd string) []string {
	var out []string
	for i := 0; i+1 < len(cmd); i++ {
		if cmd[i] != '$' || cmd[i+1] != '(' {
			continue
		}
		depth := 0
		for j := i + 1; j < len(cmd); j++ {
			switch cmd[j] {
			case '(':
				depth++
			case ')':
				depth--
			}
			if depth == 0 {
				out = append(out, cmd[i+2:j])
				i = j
				break
			}
		}
	}
	return out
}

// words splits a simple command into its words, quotes removed; a $(...) stays one word.
func words(cmd string) []string {
	var out []string
	var cur strings.Builder
	var quote byte
	in := false
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == '$' && i+1 < len(cmd) && cmd[i+1] == '(':
			for _, sub := range substitutions(cmd[i:]) {
				cur.WriteString("$(" + sub + ")")
				i += len(sub) + 2
				break
			}
			in = true
		case c == ' ' || c == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}
