import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// One post in a feed: author, time, text; replies are indented under their thread. Under the text:
// the reactions with their counts (mine highlighted) and a React button; for my own posts, the
// delivery state (only on this node / waiting on relays / delivered).
ItemDelegate {
    id: post
    objectName: "post-" + postId
    required property int postId
    required property string author
    required property string body
    required property int replyTo
    required property double time
    required property bool pending
    required property string delivery   // "", local, relayed, delivered (my own posts only)
    required property string relays     // petnames of the relays holding it, for "relayed"
    required property string reactions  // JSON [{reaction, count, mine}]
    required property bool reactable    // a post (_converse…), not a notice such as "joined the place"
    // The reactions offered by the React button (none: no button, e.g. in 1:1 conversations).
    property var reactionChoices: []
    readonly property bool canReact: reactable && reactionChoices.length > 0 && postId > 0
    readonly property var reactionList: JSON.parse(reactions || "[]")
    readonly property string deliveryText: delivery === "local" ? qsTr("only on this node")
                                         : delivery === "relayed" ? qsTr("waiting on relay %1").arg(relays)
                                         : delivery === "delivered" ? qsTr("delivered") : ""
    signal replyRequested(int postId, string author)
    signal reactRequested(int postId, string reaction)

    width: ListView.view ? ListView.view.width : implicitWidth
    leftPadding: replyTo > 0 ? 40 : 12
    Accessible.name: qsTr("%1 wrote: %2").arg(author).arg(body)
    contentItem: ColumnLayout {
        spacing: 2
        RowLayout {
            Label { text: post.author; font.bold: true; elide: Text.ElideRight; Layout.fillWidth: true }
            Label {
                text: post.pending ? qsTr("pending") : (post.time > 0 ? new Date(post.time).toLocaleString(Qt.locale(), Locale.ShortFormat) : "")
                opacity: 0.6
                font.pixelSize: 12
            }
        }
        Label {
            objectName: "postText"
            text: post.body
            wrapMode: Text.Wrap
            textFormat: Text.PlainText
            Layout.fillWidth: true
        }
        Label {
            visible: post.replyTo > 0
            text: qsTr("reply to #%1").arg(post.replyTo)
            opacity: 0.6
            font.pixelSize: 12
        }
        Label {
            objectName: "deliveryLabel"
            visible: post.deliveryText !== ""
            text: post.deliveryText
            color: post.delivery === "delivered" ? "#1e8e3e" : palette.text
            opacity: 0.8
            font.pixelSize: 12
            Accessible.name: qsTr("Delivery: %1").arg(text)
        }
        Flow {
            visible: post.reactionList.length > 0 || post.canReact
            Layout.fillWidth: true
            spacing: 4
            Repeater {
                model: post.reactionList
                TouchButton {
                    required property var modelData
                    objectName: "reaction-" + post.postId + "-" + modelData.reaction
                    text: modelData.reaction + " " + modelData.count
                    flat: !modelData.mine
                    highlighted: modelData.mine
                    Accessible.name: modelData.mine ? qsTr("%1, %n reaction(s), including yours", "", modelData.count).arg(modelData.reaction)
                                                    : qsTr("%1, %n reaction(s); react the same", "", modelData.count).arg(modelData.reaction)
                    onClicked: if (!modelData.mine && post.canReact) post.reactRequested(post.postId, modelData.reaction)
                }
            }
            TouchButton {
                id: reactButton
                objectName: "reactButton-" + post.postId
                visible: post.canReact
                text: qsTr("React")
                flat: true
                Accessible.name: qsTr("React to %1's post").arg(post.author)
                onClicked: picker.open()
            }
        }
    }
    Popup {
        id: picker
        objectName: "reactionPicker"
        y: post.height - height
        x: Math.max(0, post.width - width - 12)
        padding: 4
        Row {
            spacing: 2
            Repeater {
                model: post.reactionChoices
                TouchButton {
                    required property string modelData
                    objectName: "reactionChoice-" + modelData
                    text: modelData
                    flat: true
                    Accessible.name: qsTr("React with %1").arg(modelData)
                    onClicked: { picker.close(); post.reactRequested(post.postId, modelData) }
                }
            }
        }
    }
    onClicked: replyRequested(postId, author)
}
