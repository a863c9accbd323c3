import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// One post in a feed: author, time, text; replies are indented under their thread.
ItemDelegate {
    id: post
    required property int postId
    required property string author
    required property string body
    required property int replyTo
    required property double time
    required property bool pending
    signal replyRequested(int postId, string author)

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
    }
    onClicked: replyRequested(postId, author)
}
