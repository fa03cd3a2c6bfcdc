"""Pure parsing: page text in, typed records out. No network, no clock, no database."""
