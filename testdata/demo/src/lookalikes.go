package demo

// Same shape as real tokens, but the checksum or the length is wrong:
// leakguard must not report any of these.
var lookalikes = []string{
	"lgu_zeQZOwYQMGK9VHsZhWFbZOW5ImOJHu078iK0",
	"lgs_HucBIsOLvB3dlznhQl55DZxu2hPJG23fVsP0",
	"ghp_fs0s0ozOqLD8BkW5aGeXwN1uP1N5pP0qWuR0",
	"ghp_qo8FrhvHeYgNjFwfqx6XIwlc85ygyg25i1z",
	"gho_fcs3Exk69bP78Ef1suOa0houCg1sYX3IWZE0",
	"npm_tBSKiA9cM76TWqduZVmHqcZlQbFxgV15CzO0",
	"glsa_WWBgsYOYGzMdb9DfJAS9H2giRgBaic7u_b1406b70",
	"lga_aRicJ4sYC6VhR30tE0iDQEQlNvVfLm0Uank",
}
