// Package yamltree loads YAML the way CircleCI users write it: anchors and
// aliases (an anchor defined twice means the later one from then on), merge
// keys "<<" (several in one mapping, a merge of a list of maps, explicit keys
// always winning, the first merged source winning over later ones), duplicate
// keys (the later value wins, as in the YAML 1.1 loader CircleCI uses), and
// flow style.
//
// gopkg.in/yaml.v3's Unmarshal rejects several of those, so the package
// decodes to yaml.Node and resolves aliases and merges itself, producing a
// plain tree with no aliases left. Every node keeps the line and column where
// it was written (an alias copy keeps the anchor's position), so later stages
// can report file:line:column errors. Limits bound the input size, the node
// count after alias expansion (the "billion laughs" attack) and the depth.
package yamltree
