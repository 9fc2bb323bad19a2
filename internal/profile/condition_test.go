package profile

import "testing"

func TestSplitCondition(t *testing.T) {
	ok := []struct{ in, ph, op, value string }{
		{"[STATUS] == 200", "STATUS", "==", "200"},
		{"  [RESPONSE_TIME]<1500 ", "RESPONSE_TIME", "<", "1500"},
		{"[RESPONSE_TIME] <= 1500", "RESPONSE_TIME", "<=", "1500"},
		{"[CERTIFICATE_EXPIRATION] >= 72h", "CERTIFICATE_EXPIRATION", ">=", "72h"},
		{"[BODY] == pat(*tout va bien*)", "BODY", "==", "pat(*tout va bien*)"},
		{"[DNS_RCODE] != NXDOMAIN", "DNS_RCODE", "!=", "NXDOMAIN"},
		{"[STATUS] ==> 200", "STATUS", "==", "> 200"}, // grammar only: the value check refuses it
	}
	for _, c := range ok {
		ph, op, value, err := SplitCondition(c.in)
		if err != nil || ph != c.ph || op != c.op || value != c.value {
			t.Errorf("SplitCondition(%q) = %q %q %q %v, want %q %q %q", c.in, ph, op, value, err, c.ph, c.op, c.value)
		}
	}
	bad := map[string]string{
		"STATUS == 200":   `profile: condition "STATUS == 200": must start with a [PLACEHOLDER]`,
		"[STATUS == 200":  `profile: condition "[STATUS == 200": missing ] after the placeholder`,
		"[] == 200":       `profile: condition "[] == 200": empty placeholder []`,
		"[status] == 200": `profile: condition "[status] == 200": invalid placeholder "status" (upper-case letters, digits and _)`,
		"[STATUS] = 200":  `profile: condition "[STATUS] = 200": missing operator (==, !=, <, <=, >, >=)`,
		"[STATUS] == ":    `profile: condition "[STATUS] == ": missing value after ==`,
	}
	for in, want := range bad {
		if _, _, _, err := SplitCondition(in); err == nil || err.Error() != want {
			t.Errorf("SplitCondition(%q) error = %v, want %s", in, err, want)
		}
	}
}

func TestConditionProblem(t *testing.T) {
	const https, http = "https://x.example.org/", "http://x.example.org/"
	cases := []struct{ typ, target, cond, want string }{
		{"http", https, "[STATUS] == 200", ""},
		{"http", https, "[STATUS] < 400", ""},
		{"http", https, "[STATUS] == ok", "[STATUS] needs an HTTP status code such as 200"},
		{"http", https, "[STATUS] == 99", "[STATUS] needs an HTTP status code such as 200"},
		{"tcp", "x:1", "[STATUS] == 200", "[STATUS] only applies to http checks"},
		{"dns", "x", "[BODY] == pat(*)", "[BODY] only applies to http checks"},
		{"http", https, "[BODY] == pat(*ok*)", ""},
		{"http", https, "[BODY] == pat(*ok*", "pat( needs a closing )"},
		{"http", https, "[BODY] > 10", ""},
		{"http", https, "[BODY] > big", "operator > needs a number or a duration"},
		{"http", https, "[CERTIFICATE_EXPIRATION] > 72h", ""},
		{"tls", "x:443", "[CERTIFICATE_EXPIRATION] > 72h", ""},
		{"http", http, "[CERTIFICATE_EXPIRATION] > 72h", "[CERTIFICATE_EXPIRATION] only applies to tls checks and https URLs"},
		{"tcp", "x:443", "[CERTIFICATE_EXPIRATION] > 72h", "[CERTIFICATE_EXPIRATION] only applies to tls checks and https URLs"},
		{"tls", "x:443", "[CERTIFICATE_EXPIRATION] > 3", "[CERTIFICATE_EXPIRATION] needs a duration such as 72h"},
		{"tcp", "x:1", "[CONNECTED] == true", ""},
		{"dns", "x", "[CONNECTED] == yes", "[CONNECTED] needs true or false"},
		{"tcp", "x:1", "[CONNECTED] < true", "operator < needs a number or a duration"},
		{"tls", "x:1", "[RESPONSE_TIME] < 1500", ""},
		{"tls", "x:1", "[RESPONSE_TIME] < 1.5s", "[RESPONSE_TIME] needs milliseconds such as 1500"},
		{"dns", "x", "[DNS_RCODE] == NOERROR", ""},
		{"dns", "x", "[DNS_RCODE] == NOPE", "[DNS_RCODE] needs a response code such as NOERROR or NXDOMAIN"},
		{"http", https, "[DNS_RCODE] == NOERROR", "[DNS_RCODE] only applies to dns checks"},
		{"dns", "x", "[IP] == 10.20.0.10", ""},
		{"dns", "x", "[IP] == 2001:db8::1", ""},
		{"dns", "x", "[IP] == pat(10.20.*)", ""},
		{"dns", "x", "[IP] == ten", "[IP] needs an IP address or pat(...)"},
		{"tcp", "x:1", "[IP] == 10.0.0.1", "[IP] only applies to dns checks"},
		{"http", https, "[LATENCY] < 10", "unknown placeholder [LATENCY]"},
	}
	for _, c := range cases {
		if got := conditionProblem(c.typ, c.target, c.cond); got != c.want {
			t.Errorf("%s %q: got %q, want %q", c.typ, c.cond, got, c.want)
		}
	}
}
