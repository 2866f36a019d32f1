package redis

// Translate exposes the error translation to the black-box tests.
var Translate = translate
