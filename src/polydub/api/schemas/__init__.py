"""Request and response models mirroring HeyGen's OpenAPI (../shared/heygen/)."""
