/// Calls `body` with `strings` as a NULL-terminated `const char * const *`,
/// the shape `kmod_new` wants for `config_paths`. The pointers are only
/// valid inside `body`, which is enough: libkmod reads the configuration
/// during `kmod_new` and copies what it keeps.
func withCStringArray<Result, Failure: Error>(
    _ strings: [String],
    _ body: (UnsafePointer<UnsafePointer<CChar>?>) throws(Failure) -> Result
) throws(Failure) -> Result {
    // One contiguous buffer of NUL-terminated strings, then the pointer table;
    // avoids nesting `withCString` closures (which cannot vary in count).
    var storage: [CChar] = []
    var offsets: [Int] = []
    for string in strings {
        offsets.append(storage.count)
        storage.append(contentsOf: string.utf8CString)
    }
    return try storage.withUnsafeBufferPointer { (buffer) throws(Failure) -> Result in
        var table: [UnsafePointer<CChar>?] = offsets.map { buffer.baseAddress! + $0 }
        table.append(nil)
        return try table.withUnsafeBufferPointer { (pointers) throws(Failure) -> Result in
            try body(pointers.baseAddress!)
        }
    }
}
