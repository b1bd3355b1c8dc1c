import Foundation

/// One product block of `slmgr.vbs /dlv`, `/dlv all` or `/dli` output.
///
/// Every field is what Windows printed, trimmed; a field is nil when the line was absent, empty, or
/// (for typed fields) not of the expected shape. Nothing is invented: an unrecognised status text
/// gives `licenseStatus == .unknown` with the text kept in `licenseStatusText`.
public struct SlmgrProduct: Codable, Equatable, Sendable {
    /// `Name:` — e.g. `Windows(R), Server-ESU-Year1 add-on for ServerStandard,…`.
    public var name: String?
    /// `Description:` — e.g. `Windows(R) Operating System, VOLUME_MAK channel`.
    public var description: String?
    /// `Activation ID:` (only in `/dlv` output).
    public var activationId: ActivationID?
    /// `Application ID:` (only in `/dlv` output).
    public var applicationId: ActivationID?
    /// `Extended PID:`.
    public var extendedPID: String?
    /// `Product Key Channel:` — e.g. `Volume:MAK`.
    public var productKeyChannel: String?
    /// `Installation ID:` — the digits used for phone activation.
    public var installationID: String?
    /// `Partial Product Key:`; nil when the product shows "This license is not in use." or no key line.
    public var partialProductKey: String?
    /// The status recognised from `licenseStatusText`; `.unknown` when not recognised or absent.
    public var licenseStatus: LicenseStatus
    /// The raw status text as printed, e.g. `Licensed`, `ライセンスされています`, `Lizenziert`.
    public var licenseStatusText: String?
    /// `Remaining Windows rearm count:`.
    public var remainingWindowsRearmCount: Int?
    /// `Remaining SKU rearm count:`.
    public var remainingSKURearmCount: Int?
    /// Minutes from a `Time remaining:` / `Timebased activation expiration:` /
    /// `Volume activation expiration:` line printed as `N minute(s) (D day(s))`.
    public var graceMinutesRemaining: Int?
    /// `Notification Reason:` — e.g. `0xC004F056` (trailing period dropped).
    public var notificationReason: String?
    /// `Trusted time:` exactly as printed (locale-formatted; not interpreted).
    public var trustedTime: String?
    /// True when the block printed "This license is not in use." (or its translation) instead of a key.
    public var licenseNotInUse: Bool

    public init(name: String? = nil, description: String? = nil, activationId: ActivationID? = nil,
                applicationId: ActivationID? = nil, extendedPID: String? = nil, productKeyChannel: String? = nil,
                installationID: String? = nil, partialProductKey: String? = nil,
                licenseStatus: LicenseStatus = .unknown, licenseStatusText: String? = nil,
                remainingWindowsRearmCount: Int? = nil, remainingSKURearmCount: Int? = nil,
                graceMinutesRemaining: Int? = nil, notificationReason: String? = nil,
                trustedTime: String? = nil, licenseNotInUse: Bool = false) {
        self.name = name; self.description = description
        self.activationId = activationId; self.applicationId = applicationId
        self.extendedPID = extendedPID; self.productKeyChannel = productKeyChannel
        self.installationID = installationID; self.partialProductKey = partialProductKey
        self.licenseStatus = licenseStatus; self.licenseStatusText = licenseStatusText
        self.remainingWindowsRearmCount = remainingWindowsRearmCount
        self.remainingSKURearmCount = remainingSKURearmCount
        self.graceMinutesRemaining = graceMinutesRemaining
        self.notificationReason = notificationReason; self.trustedTime = trustedTime
        self.licenseNotInUse = licenseNotInUse
    }

    enum CodingKeys: String, CodingKey {
        case name, description, activationId, applicationId, extendedPID, productKeyChannel, installationID
        case partialProductKey, licenseStatus, licenseStatusText, remainingWindowsRearmCount
        case remainingSKURearmCount, graceMinutesRemaining, notificationReason, trustedTime, licenseNotInUse
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        activationId = try c.decodeIfPresent(ActivationID.self, forKey: .activationId)
        applicationId = try c.decodeIfPresent(ActivationID.self, forKey: .applicationId)
        extendedPID = try c.decodeIfPresent(String.self, forKey: .extendedPID)
        productKeyChannel = try c.decodeIfPresent(String.self, forKey: .productKeyChannel)
        installationID = try c.decodeIfPresent(String.self, forKey: .installationID)
        partialProductKey = try c.decodeIfPresent(String.self, forKey: .partialProductKey)
        licenseStatus = try c.decodeIfPresent(LicenseStatus.self, forKey: .licenseStatus) ?? .unknown
        licenseStatusText = try c.decodeIfPresent(String.self, forKey: .licenseStatusText)
        remainingWindowsRearmCount = try c.decodeIfPresent(Int.self, forKey: .remainingWindowsRearmCount)
        remainingSKURearmCount = try c.decodeIfPresent(Int.self, forKey: .remainingSKURearmCount)
        graceMinutesRemaining = try c.decodeIfPresent(Int.self, forKey: .graceMinutesRemaining)
        notificationReason = try c.decodeIfPresent(String.self, forKey: .notificationReason)
        trustedTime = try c.decodeIfPresent(String.self, forKey: .trustedTime)
        licenseNotInUse = try c.decodeIfPresent(Bool.self, forKey: .licenseNotInUse) ?? false
    }

    /// Writes every key, absent values as `null`, so the document shape never depends on the input.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(activationId, forKey: .activationId)
        try c.encode(applicationId, forKey: .applicationId)
        try c.encode(extendedPID, forKey: .extendedPID)
        try c.encode(productKeyChannel, forKey: .productKeyChannel)
        try c.encode(installationID, forKey: .installationID)
        try c.encode(partialProductKey, forKey: .partialProductKey)
        try c.encode(licenseStatus, forKey: .licenseStatus)
        try c.encode(licenseStatusText, forKey: .licenseStatusText)
        try c.encode(remainingWindowsRearmCount, forKey: .remainingWindowsRearmCount)
        try c.encode(remainingSKURearmCount, forKey: .remainingSKURearmCount)
        try c.encode(graceMinutesRemaining, forKey: .graceMinutesRemaining)
        try c.encode(notificationReason, forKey: .notificationReason)
        try c.encode(trustedTime, forKey: .trustedTime)
        try c.encode(licenseNotInUse, forKey: .licenseNotInUse)
    }
}

extension SlmgrProduct {
    /// The product as a facts record; nil unless an Activation ID was printed (`/dli` prints none).
    public var license: Facts.License? {
        guard let activationId else { return nil }
        return Facts.License(activationId: activationId, applicationId: applicationId, name: name ?? "",
                             description: description ?? "", partialProductKey: partialProductKey,
                             licenseStatus: licenseStatus)
    }
}

/// Everything one run of `slmgr.vbs /dlv`, `/dlv all` or `/dli` printed.
public struct SlmgrReport: Codable, Equatable, Sendable {
    /// `Software licensing service version:` — e.g. `6.3.9600.17809`.
    public var serviceVersion: String?
    /// The product blocks, in printed order.
    public var products: [SlmgrProduct]

    public init(serviceVersion: String? = nil, products: [SlmgrProduct] = []) {
        self.serviceVersion = serviceVersion; self.products = products
    }

    enum CodingKeys: String, CodingKey { case serviceVersion, products }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(serviceVersion, forKey: .serviceVersion)
        try c.encode(products, forKey: .products)
    }

    /// The first product with this Activation ID.
    public func product(activationId: ActivationID) -> SlmgrProduct? {
        products.first { $0.activationId == activationId }
    }

    /// Facts records for the products that printed an Activation ID.
    public var licenses: [Facts.License] { products.compactMap(\.license) }
}
