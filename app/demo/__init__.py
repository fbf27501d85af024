"""The demo campaign: Cambridge, MA precincts and addresses, synthetic people and a
canvass, loaded through the real import paths. Not a domain service: `doorstep load-demo`,
`make run`, the benchmarks and tests use it."""
