import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

// Tablets and desktops: split panes — places (and the other sections) | feed | details.
RowLayout {
    id: wide
    objectName: "splitView"
    required property var shell
    spacing: 0
    readonly property bool inPlace: shell.page === "place" || shell.page === "details"

    Pane {
        Layout.preferredWidth: 300
        Layout.fillHeight: true
        padding: 0
        ColumnLayout {
            anchors.fill: parent
            spacing: 0
            Flow {
                Layout.fillWidth: true
                Layout.margins: 6
                spacing: 4
                Repeater {
                    model: [["contacts", qsTr("Contacts")], ["profile", qsTr("Profile")], ["node", qsTr("Node")], ["settings", qsTr("Settings")]]
                    TouchButton {
                        required property var modelData
                        text: modelData[1]
                        flat: wide.shell.page !== modelData[0]
                        onClicked: wide.shell.openSection(modelData[0])
                    }
                }
            }
            PlacesPage { Layout.fillWidth: true; Layout.fillHeight: true; shell: wide.shell }
        }
    }
    ToolSeparator { Layout.fillHeight: true; padding: 0 }
    Loader {
        Layout.fillWidth: true
        Layout.fillHeight: true
        sourceComponent: wide.inPlace || wide.shell.page === "dm" ? feed : section
        Component {
            id: feed
            PlaceView {
                shell: wide.shell
                placeId: wide.shell.page === "dm" ? "" : wide.shell.placeId
                dmPetname: wide.shell.page === "dm" ? wide.shell.dmPetname : ""
            }
        }
        Component { id: section; SectionView { shell: wide.shell; name: wide.shell.section; placesAsHint: true } }
    }
    ToolSeparator { Layout.fillHeight: true; padding: 0; visible: wide.inPlace }
    Loader {
        Layout.preferredWidth: 300
        Layout.fillHeight: true
        visible: wide.inPlace
        active: wide.inPlace
        sourceComponent: PlaceDetails { shell: wide.shell }
    }
}
