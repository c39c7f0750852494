/// The kernel's own `of:` MODALIAS of a device-tree device, rebuilt from its uevent's OF_*
/// fields as drivers/of/device.c writes it: `of:N` name, `T` device_type (printk's "(null)"
/// when the node has none), then `C` and each compatible string in order, spaces as '_'.
/// Devices on I2C and SPI report `i2c:`/`spi:` MODALIAS while many drivers carry only `of:`
/// aliases (systemd issue 6555); this string is what those aliases match.
extension DeviceEvent {
    static let ofCompatibleCount = Array("OF_COMPATIBLE_N".utf8)

    public var deviceTreeModalias: [UInt8]? {
        guard let count = value(Self.ofCompatibleCount).flatMap({ Int(String(decoding: $0, as: UTF8.self)) }), count > 0,
              let name = value(Array("OF_NAME".utf8)) else { return nil }
        var out = Array("of:N".utf8) + name + Array("T".utf8) + (value(Array("OF_TYPE".utf8)) ?? Array("(null)".utf8))
        for i in 0..<count {
            guard let compatible = value(Array("OF_COMPATIBLE_\(i)".utf8)) else { return nil }
            out += [UInt8(ascii: "C")] + compatible.map { $0 == UInt8(ascii: " ") ? UInt8(ascii: "_") : $0 }
        }
        return out
    }

    /// The first value of `key`, as bytes.
    func value(_ key: [UInt8]) -> [UInt8]? { fields.first { $0.key == key }?.value }
}
