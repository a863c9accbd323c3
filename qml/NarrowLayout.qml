import QtQuick
import QtQuick.Controls

// Phones and narrow windows: a stack. The sections sit behind a tab bar; a place, a conversation
// or a place's details are pushed on top, and Back (button, Esc, swipe) returns.
Item {
    id: narrow
    required property var shell
    readonly property var sections: ["places", "contacts", "profile", "node", "settings"]
    readonly property var sectionTitles: [qsTr("Places"), qsTr("Contacts"), qsTr("Profile"), qsTr("Node"), qsTr("Settings")]

    function sync() {
        const page = shell.page
        if (page === "place" || page === "dm") {
            while (stack.depth > 1) stack.pop(null)
            stack.push(placeView, { placeId: page === "place" ? shell.placeId : "", dmPetname: page === "dm" ? shell.dmPetname : "" })
        } else if (page === "details") {
            if (stack.depth === 1) stack.push(placeView, { placeId: shell.placeId })
            stack.push(details)
        } else {
            stack.pop(null)
        }
    }
    Connections {
        target: narrow.shell
        function onNavigated() { narrow.sync() }
    }
    Component.onCompleted: sync()

    Component { id: placeView; PlaceView { shell: narrow.shell } }
    Component { id: details; PlaceDetails { shell: narrow.shell } }

    StackView {
        id: stack
        objectName: "stackView"
        anchors.fill: parent
        initialItem: Page {
            SectionView { anchors.fill: parent; shell: narrow.shell; name: narrow.shell.section }
            footer: TabBar {
                currentIndex: narrow.sections.indexOf(narrow.shell.section)
                Repeater {
                    model: narrow.sections.length
                    TabButton {
                        required property int index
                        text: narrow.sectionTitles[index]
                        implicitHeight: 56
                        Accessible.name: text
                        onClicked: narrow.shell.openSection(narrow.sections[index])
                    }
                }
            }
        }
    }
    // Swipe right from the left edge goes back.
    DragHandler {
        target: null
        enabled: stack.depth > 1
        xAxis.enabled: true
        yAxis.enabled: false
        onActiveChanged: if (!active && centroid.pressPosition.x < 32 && translation.x > 80) narrow.shell.back()
    }
}
