"""The engine: everything that makes a publish redo only what changed.

The stages (`reader` -> `builder` -> channels -> `writer`) are plain functions over plain
values and never import this package; the engine wraps them from outside: it stamps the
inputs (`stamps`, `filestamp`), keeps what the last publish learned (`cache`,
`cachefile`, `bodystore`, data only and signed), works out which outputs are stale
(`render`), spreads work over cores (`workers`) and lets one publish run at a time
(`lock`). Deleting the cache folder gives the same output, only slower.
"""
