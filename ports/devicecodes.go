package ports

import (
	"context"

	"github.com/identityd/identityd/core"
)

// DeviceCodeRepository keeps device authorizations (RFC 8628 §3.2).
type DeviceCodeRepository interface {
	// CreateDeviceCode stores a new device authorization;
	// core.ErrAlreadyExists when its device code or user code hash is
	// taken.
	CreateDeviceCode(ctx context.Context, d core.DeviceCode) error
	// UpdateDeviceCode changes the device authorization of a device code
	// hash atomically: of concurrent updates each sees the result of the
	// one before. When fn fails nothing changes and its error is returned;
	// core.ErrNotFound when there is none.
	UpdateDeviceCode(ctx context.Context, hash string, fn func(core.DeviceCode) (core.DeviceCode, error)) (core.DeviceCode, error)
	// UpdateDeviceCodeByUserCode is UpdateDeviceCode by user code hash.
	UpdateDeviceCodeByUserCode(ctx context.Context, userCodeHash string, fn func(core.DeviceCode) (core.DeviceCode, error)) (core.DeviceCode, error)
}
