package cdkconv

import "github.com/aws/jsii-runtime-go"

// StringMap is a map of strings as jsii takes it.
func StringMap(m map[string]string) *map[string]*string {
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = jsii.String(v)
	}
	return &out
}
