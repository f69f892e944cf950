package cost

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// stageDirs lists a cloud assembly's stage assemblies in the app's order (dev, staging, prod),
// read from the root manifest: its artifacts keep the order the app created the stages in,
// which a directory listing (alphabetical: dev, prod, staging) does not.
func stageDirs(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("cost: %s holds no cloud assembly (manifest.json): run make synth first: %w", dir, err)
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	if err := seekKey(dec, "artifacts"); err != nil {
		return nil, fmt.Errorf("cost: %s/manifest.json: %w", dir, err)
	}
	var dirs []string
	for dec.More() {
		if _, err := dec.Token(); err != nil { // the artifact's ID
			return nil, fmt.Errorf("cost: %s/manifest.json: %w", dir, err)
		}
		var a struct {
			Type       string `json:"type"`
			Properties struct {
				DirectoryName string `json:"directoryName"`
			} `json:"properties"`
		}
		if err := dec.Decode(&a); err != nil {
			return nil, fmt.Errorf("cost: %s/manifest.json: %w", dir, err)
		}
		if a.Type == "cdk:cloud-assembly" {
			dirs = append(dirs, filepath.Join(dir, a.Properties.DirectoryName))
		}
	}
	return dirs, nil
}

// seekKey advances dec into the top-level object's key, up to the opening token of its value.
func seekKey(dec *json.Decoder, key string) error {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("want a JSON object (%v)", err)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if t == key {
			if t, err := dec.Token(); err != nil || t != json.Delim('{') {
				return fmt.Errorf("%s: want an object (%v)", key, err)
			}
			return nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return fmt.Errorf("no %q", key)
}
