module github.com/caravan-ci/caravan

go 1.26

require gopkg.in/yaml.v3 v3.0.1

require (
	github.com/google/go-cmp v0.7.0
	github.com/klauspost/compress v1.18.0
)

require github.com/jstemmer/go-junit-report/v2 v2.1.0 // indirect

tool github.com/jstemmer/go-junit-report/v2
