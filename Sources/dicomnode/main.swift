import DicomCore
print("dicomnode: CLI under construction")
