// A throwaway module for test/vulncheck: it imports golang.org/x/text/language of v0.3.6
// (GO-2021-0113, fixed in v0.3.7) but calls no vulnerable symbol.
module example.com/imported

go 1.22

require golang.org/x/text v0.3.6
