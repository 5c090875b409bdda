#![doc = include_str!("../docs/card.md")]
