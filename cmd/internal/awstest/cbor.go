package awstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// The SDK speaks Smithy RPC v2 CBOR to CloudWatch (POST /service/GraniteServiceVersion20100801/
// operation/OP, application/cbor); moto 5.2 answers CloudWatch's AWS JSON 1.0 protocol
// (X-Amz-Target: GraniteServiceVersion20100801.OP), which CloudWatch also serves. cborToJSON
// carries a request across and the answer back: same members, timestamps as CBOR tag 1
// (epoch seconds), as the Smithy RPC v2 CBOR specification requires
// (https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html).

func isCBOR(r *http.Request) bool { return strings.Contains(r.URL.Path, "/operation/") }

// cborToJSON forwards a CBOR request to moto (at base) as JSON 1.0 and writes the answer as CBOR.
func cborToJSON(w http.ResponseWriter, r *http.Request, base, op string, body []byte) {
	in := any(map[string]any{})
	if len(body) > 0 {
		v, err := cbor.Decode(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		in = fromCBOR(v)
	}
	js, _ := json.Marshal(in)
	service := strings.Split(strings.TrimPrefix(r.URL.Path, "/service/"), "/")[0]
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, base+"/", bytes.NewReader(js))
	req.Header.Set("X-Amz-Target", service+"."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", r.Header.Get("Authorization"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out any = map[string]any{}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			http.Error(w, fmt.Sprintf("moto answered %s: %s", resp.Status, raw), http.StatusBadGateway)
			return
		}
	}
	writeCBOR(w, resp.StatusCode, out)
}

func writeCBOR(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.WriteHeader(status)
	_, _ = w.Write(cbor.Encode(toCBOR("", v)))
}

func fromCBOR(v cbor.Value) any {
	switch v := v.(type) {
	case cbor.Map:
		m := map[string]any{}
		for k, x := range v {
			m[k] = fromCBOR(x)
		}
		return m
	case cbor.List:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = fromCBOR(x)
		}
		return l
	case cbor.String:
		return string(v)
	case cbor.Uint:
		return uint64(v)
	case cbor.NegInt:
		return -int64(v) - 1
	case cbor.Float32:
		return float64(v)
	case cbor.Float64:
		return float64(v)
	case cbor.Bool:
		return bool(v)
	case *cbor.Tag: // tag 1: epoch seconds, which JSON 1.0 writes as a number too
		return fromCBOR(v.Value)
	}
	return nil
}

// toCBOR converts moto's JSON; members named *Timestamp (CloudWatch's timestamp members) become
// tag 1.
func toCBOR(key string, v any) cbor.Value {
	if strings.HasSuffix(key, "Timestamp") {
		if t, ok := asTime(v); ok {
			return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(t.UnixMilli()) / 1000)}
		}
	}
	switch v := v.(type) {
	case map[string]any:
		m := cbor.Map{}
		for k, x := range v {
			m[k] = toCBOR(k, x)
		}
		return m
	case []any:
		l := make(cbor.List, len(v))
		for i, x := range v {
			l[i] = toCBOR("", x)
		}
		return l
	case string:
		return cbor.String(v)
	case float64:
		if v == math.Trunc(v) && v >= 0 {
			return cbor.Uint(uint64(v))
		}
		return cbor.Float64(v)
	case bool:
		return cbor.Bool(v)
	}
	return &cbor.Nil{}
}

func asTime(v any) (time.Time, bool) {
	switch v := v.(type) {
	case float64:
		return time.UnixMilli(int64(v * 1000)), true
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000000-07:00", "2006-01-02T15:04:05.000000Z07:00"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}
