package vsync

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// ParseVault decodes the bundle plaintext. Nested form: {"kv":{...},"assets":{"name":"<std
// base64>"}} (other top-level keys ignored). Flat form: an object of strings, all of it kv.
// Errors name keys but never quote values: encoding/json's own messages can contain literals.
func ParseVault(plaintext []byte) (kv map[string]string, assets map[string][]byte, err error) {
	top, err := decodeObject(plaintext, "vault")
	if err != nil {
		return nil, nil, err
	}
	rawKV, hasKV := top["kv"]
	rawAssets, hasAssets := top["assets"]
	if !hasKV && !hasAssets {
		kv, err := stringValues(top, "vault")
		return kv, nil, err
	}
	if hasKV {
		if kv, err = decodeStrings(rawKV, "vault kv"); err != nil {
			return nil, nil, err
		}
	}
	if hasAssets {
		encoded, err := decodeStrings(rawAssets, "vault assets")
		if err != nil {
			return nil, nil, err
		}
		assets = make(map[string][]byte, len(encoded))
		for name, s := range encoded {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: asset %q is not standard base64", ErrBundleCorrupt, name)
			}
			assets[name] = b
		}
	}
	return kv, assets, nil
}

// decodeStrings decodes an object of strings; JSON null decodes to a nil map, as upstream.
func decodeStrings(raw json.RawMessage, what string) (map[string]string, error) {
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil, nil
	}
	obj, err := decodeObject(raw, what)
	if err != nil {
		return nil, err
	}
	return stringValues(obj, what)
}

func decodeObject(b []byte, what string) (map[string]json.RawMessage, error) {
	trimmed := bytes.TrimLeft(b, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: %s is not a JSON object", ErrBundleCorrupt, what)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(b, &obj); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, fmt.Errorf("%w: %s is malformed JSON at byte %d", ErrBundleCorrupt, what, syn.Offset)
		}
		return nil, fmt.Errorf("%w: %s is malformed JSON", ErrBundleCorrupt, what)
	}
	return obj, nil
}

func stringValues(obj map[string]json.RawMessage, what string) (map[string]string, error) {
	out := make(map[string]string, len(obj))
	for k, raw := range obj {
		var s string
		if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return nil, fmt.Errorf("%w: %s value of %q is not a string", ErrBundleCorrupt, what, k)
		}
		out[k] = s
	}
	return out, nil
}

// EncodeVault writes the nested form, which stays unambiguous whatever the key names.
func EncodeVault(kv map[string]string, assets map[string][]byte) ([]byte, error) {
	doc := struct {
		KV     map[string]string `json:"kv"`
		Assets map[string]string `json:"assets,omitempty"`
	}{KV: kv, Assets: make(map[string]string, len(assets))}
	if doc.KV == nil {
		doc.KV = map[string]string{}
	}
	for name, b := range assets {
		doc.Assets[name] = base64.StdEncoding.EncodeToString(b)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("vsync: encode vault: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
