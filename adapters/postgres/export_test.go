package postgres

// Translate exposes the driver-error translation to the black-box tests.
var Translate = translate
