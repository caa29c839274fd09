import ConnectorCore
import JSONCore

/// A dispatch's stored document, written by hand: JSONEncoder was nearly half of a
/// scheduler's settling time. Read back with JSONDecoder (``Dispatch``'s Codable shape);
/// the creation time lives in its own column.
enum DispatchRow {
    static func json(_ dispatch: Dispatch) -> String {
        var text = "{\"id\":"
        text += JSONQuoting.quoted(dispatch.id)
        text += ",\"idempotencyKey\":" + JSONQuoting.quoted(dispatch.idempotencyKey)
        text += ",\"followUp\":" + JSONQuoting.quoted(dispatch.followUp.rawValue)
        text += ",\"campaignVersion\":" + String(dispatch.campaignVersion)
        text += ",\"userID\":" + JSONQuoting.quoted(dispatch.userID.rawValue)
        text += ",\"channel\":" + JSONQuoting.quoted(dispatch.channel.rawValue)
        text += ",\"triggerEventID\":" + JSONQuoting.quoted(dispatch.triggerEventID.rawValue)
        text += "}"
        return text
    }
}
