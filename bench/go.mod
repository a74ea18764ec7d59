module github.com/beatwheel/beatwheel/bench

go 1.24.0

require (
	github.com/beatwheel/beatwheel v0.0.0
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
)

require (
	github.com/RussellLuo/timingwheel v0.0.0-20220218152713-54845bda3108 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)

replace github.com/beatwheel/beatwheel => ../
