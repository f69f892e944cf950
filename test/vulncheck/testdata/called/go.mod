// A throwaway module for test/vulncheck: it calls language.Parse of golang.org/x/text v0.3.6
// (GO-2021-0113, fixed in v0.3.7).
module example.com/vulnerable

go 1.22

require golang.org/x/text v0.3.6
